"""Every route the simulator serves answers as Stripe does: a valid request succeeds with objects
carrying every field their stripe resource class declares; an unknown parameter, a wrong type, a
value outside an enum and a parameter the simulator does not simulate are refused with Stripe's
error. Cases come from the route table, so a route added without one fails here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from billing.simulator import server  # noqa: F401  (registers the routes)
from billing.simulator.routing import registered
from billing.simulator.shapes import missing_fields
from billing.simulator.simulated import undeclared_routes
from tests.simulator.conformance_cases import (
    CASES,
    Refusal,
    bad_enum,
    build_world,
    not_simulated,
    send,
    wrong_type,
)

ROUTES = [(method, pattern) for method, pattern, _ in registered()]
DECLARED = [route for route in ROUTES if route in CASES and route not in undeclared_routes()]


def _id(route: tuple[str, str]) -> str:
    return f"{route[0]} {route[1]}"


def _placeholder_path(pattern: str) -> str:
    return pattern.replace("{", "x_").replace("}", "")


def _objects(answer: Any) -> Iterator[dict[str, Any]]:
    if isinstance(answer, dict):
        if isinstance(answer.get("object"), str):
            yield answer
        for value in answer.values():
            yield from _objects(value)
    elif isinstance(answer, list):
        for value in answer:
            yield from _objects(value)


def _refused(sim, method: str, pattern: str, refusal: Refusal) -> None:
    answer = send(sim.url, method, _placeholder_path(pattern), refusal.params)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error.get("code") == refusal.code
    assert error["param"] == refusal.param
    assert error["message"] == refusal.message


def test_every_route_has_a_conformance_case_and_a_stripe_endpoint():
    assert sorted(set(ROUTES) - set(CASES)) == []
    assert sorted(set(CASES) - set(ROUTES)) == []
    assert undeclared_routes() == []


@pytest.mark.parametrize("route", DECLARED, ids=_id)
def test_a_valid_request_is_answered_with_complete_objects(sim, stripe_client, route):
    method, pattern = route
    case = CASES[route]
    world = build_world(stripe_client)
    path = pattern.format(**case.ids(world))
    answer = send(sim.url, method, path, case.params(world))
    assert answer.status_code == case.status, answer.text
    incomplete = {
        f"{obj['object']} {obj.get('id')}": missing
        for obj in _objects(answer.json())
        if (missing := missing_fields(obj))
    }
    assert incomplete == {}


@pytest.mark.parametrize("route", DECLARED, ids=_id)
def test_an_unknown_parameter_is_refused(sim, route):
    method, pattern = route
    refusal = Refusal(
        {"doesnotexist": "1"},
        "doesnotexist",
        "parameter_unknown",
        "Received unknown parameter: doesnotexist",
    )
    _refused(sim, method, pattern, refusal)


WRONG_TYPES = {route: wrong_type(*route) for route in DECLARED}


@pytest.mark.parametrize("route", [r for r in DECLARED if WRONG_TYPES[r]], ids=_id)
def test_a_wrong_type_is_refused(sim, route):
    _refused(sim, *route, WRONG_TYPES[route])


def test_routes_without_a_typed_parameter_take_no_parameters_at_all():
    from billing.simulator.stripe_spec import endpoint, fields_of

    untyped = [r for r in DECLARED if WRONG_TYPES[r] is None]
    assert {_id(r): sorted(fields_of(endpoint(*r).params)) for r in untyped} == {
        _id(r): [] for r in untyped
    }


BAD_ENUMS = {route: bad_enum(*route) for route in DECLARED}


@pytest.mark.parametrize("route", [r for r in DECLARED if BAD_ENUMS[r]], ids=_id)
def test_a_value_outside_an_enum_is_refused(sim, route):
    _refused(sim, *route, BAD_ENUMS[route])


NOT_SIMULATED = {route: not_simulated(*route) for route in DECLARED}


@pytest.mark.parametrize("route", [r for r in DECLARED if NOT_SIMULATED[r]], ids=_id)
def test_a_parameter_stripe_accepts_but_the_simulator_does_not_simulate_is_refused(sim, route):
    _refused(sim, *route, NOT_SIMULATED[route])

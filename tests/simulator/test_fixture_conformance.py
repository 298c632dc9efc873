"""Every object the simulator serves has at least the keys of Stripe's fixture for it, and every
field its stripe resource class declares."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from billing.simulator import DEMO_SECRET_KEY
from billing.simulator.shapes import missing_fields
from tests.simulator.helpers import checkout, create_catalogue

FIXTURES = json.loads((Path(__file__).parent / "data" / "fixtures3.json").read_text())["resources"]
USER_DATA_KEYS = {"metadata", "data"}
TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "number",
    float: "number",
}


def _problems(fixture: Any, served: Any, path: str) -> list[str]:
    if fixture is None or served is None:
        return []
    if TYPES[type(fixture)] != TYPES[type(served)]:
        return [f"{path}: {type(served).__name__} where Stripe has {type(fixture).__name__}"]
    found: list[str] = []
    if (isinstance(fixture, dict) and fixture.get("object") != "list") or (
        isinstance(fixture, dict) and "data" not in fixture
    ):
        for key, value in fixture.items():
            if key in USER_DATA_KEYS:
                # Metadata and an event's object are data, not shape: only their presence counts.
                if key not in served:
                    found.append(f"{path}.{key}: missing")
            elif key not in served:
                found.append(f"{path}.{key}: missing")
            else:
                found += _problems(value, served[key], f"{path}.{key}")
    elif isinstance(fixture, dict) and served.get("data") and fixture.get("data"):
        found += _problems(fixture["data"][0], served["data"][0], f"{path}.data[0]")
    return found


def _served(sim, stripe_client) -> dict[str, dict[str, Any]]:
    """One object of every kind the simulator serves, by Stripe's ``object`` name."""
    prices = create_catalogue(stripe_client)
    session, _ = checkout(stripe_client, prices["pro_monthly"].id)
    endpoint = stripe_client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/none", "enabled_events": ["invoice.paid"]}
    )
    clock = stripe_client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_767_225_600})
    portal = stripe_client.v1.billing_portal.sessions.create(params={"customer": session.customer})
    feature = stripe_client.v1.entitlements.features.create(
        params={"name": "Escrows", "lookup_key": "escrows"}
    )

    def get(path: str, **params: Any) -> dict[str, Any]:
        answer = requests.get(
            f"{sim.url}{path}",
            params=params,
            timeout=5,
            headers={"Authorization": f"Bearer {DEMO_SECRET_KEY}"},
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    sub = get(f"/v1/subscriptions/{session.subscription}")
    invoice = get(f"/v1/invoices/{sub['latest_invoice']}")
    pm = get(f"/v1/payment_methods/{sub['default_payment_method']}")
    charge = get("/v1/charges")["data"][0]
    served = {
        "account": get("/v1/account"),
        "customer": get(f"/v1/customers/{session.customer}"),
        "product": get(f"/v1/products/{prices['pro_monthly'].product}"),
        "price": get(f"/v1/prices/{prices['pro_monthly'].id}"),
        "checkout.session": get(f"/v1/checkout/sessions/{session.id}"),
        "item": get(f"/v1/checkout/sessions/{session.id}/line_items")["data"][0],
        "billing_portal.session": json.loads(str(portal)),
        "billing_portal.configuration": get("/v1/billing_portal/configurations")["data"][0],
        "subscription": sub,
        "subscription_item": get("/v1/subscription_items", subscription=sub["id"])["data"][0],
        "plan": sub["items"]["data"][0]["plan"],
        "invoice": invoice,
        "line_item": get(f"/v1/invoices/{invoice['id']}/lines")["data"][0],
        "payment_method": pm,
        "charge": charge,
        "event": get("/v1/events")["data"][0],
        "webhook_endpoint": get(f"/v1/webhook_endpoints/{endpoint.id}"),
        "test_helpers.test_clock": get(f"/v1/test_helpers/test_clocks/{clock.id}"),
        "entitlements.feature": get(f"/v1/entitlements/features/{feature.id}"),
    }
    return served


def test_served_objects_have_the_fixture_keys_and_types(sim, stripe_client):
    served = _served(sim, stripe_client)
    problems = []
    for resource, obj in served.items():
        assert obj["object"] == FIXTURES[resource]["object"], resource
        problems += _problems(FIXTURES[resource], obj, resource)
    assert problems == []


def test_served_objects_carry_every_field_their_stripe_resource_class_declares(sim, stripe_client):
    """Less what Stripe itself leaves out: includable fields, ``deleted``, … (shapes.py)."""
    served = _served(sim, stripe_client)
    assert {kind: missing_fields(obj) for kind, obj in served.items() if missing_fields(obj)} == {}

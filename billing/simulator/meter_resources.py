"""API handlers for usage-based billing: meters, meter events and their summaries per customer.

As Stripe: a meter aggregates the events named by its `event_name` per customer (`sum`, `count`
or `last`); an event's `identifier` is unique (a second event with it is refused), its timestamp
within the past 35 days or at most 5 minutes ahead; a deactivated meter takes no events."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from .errors import InvalidParameter, InvalidRequest, MissingParam
from .forms import as_int
from .ids import new_id, random_token
from .routing import route
from .store import listing, paginate

if TYPE_CHECKING:
    from .server import Api

Params = dict[str, Any]

PAST_WINDOW = 35 * 86400
FUTURE_WINDOW = 5 * 60
GROUPING_SECONDS = {"hour": 3600, "day": 86400}


@route("POST", "/v1/billing/meters")
def meter_create(api: Api, params: Params) -> dict[str, Any]:
    for required in ("display_name", "event_name"):
        if not params.get(required):
            raise MissingParam(required)
    aggregation = params.get("default_aggregation")
    if not isinstance(aggregation, dict) or not aggregation.get("formula"):
        raise MissingParam("default_aggregation[formula]")
    event_name = params["event_name"]
    if any(m["event_name"] == event_name and m["status"] == "active" for m in _meters(api)):
        raise InvalidRequest(
            f"An active meter with event_name `{event_name}` already exists.", param="event_name"
        )
    mapping = params.get("customer_mapping") or {}
    value_settings = params.get("value_settings") or {}
    at = api.billing.now()
    meter = {
        "id": new_id("mtr"),
        "object": "billing.meter",
        "created": at,
        "customer_mapping": {
            "event_payload_key": mapping.get("event_payload_key", "stripe_customer_id"),
            "type": mapping.get("type", "by_id"),
        },
        "default_aggregation": {"formula": aggregation["formula"]},
        "display_name": params["display_name"],
        "event_name": event_name,
        "event_time_window": params.get("event_time_window"),
        "livemode": False,
        "status": "active",
        "status_transitions": {"deactivated_at": None},
        "updated": at,
        "value_settings": {"event_payload_key": value_settings.get("event_payload_key", "value")},
    }
    api.state.add(meter)
    return meter


@route("GET", "/v1/billing/meters/{id}")
def meter_retrieve(api: Api, params: Params, id: str) -> dict[str, Any]:
    return api.state.get("billing.meter", id)


@route("GET", "/v1/billing/meters")
def meter_list(api: Api, params: Params) -> dict[str, Any]:
    status = params.get("status")
    return listing(
        api.state,
        "billing.meter",
        params,
        "/v1/billing/meters",
        lambda m: status is None or m["status"] == status,
    )


@route("POST", "/v1/billing/meters/{id}/deactivate")
def meter_deactivate(api: Api, params: Params, id: str) -> dict[str, Any]:
    meter = api.state.get("billing.meter", id)
    if meter["status"] != "active":
        raise InvalidRequest("This meter is already inactive.", param="id")
    at = api.billing.now()
    meter.update(status="inactive", updated=at, status_transitions={"deactivated_at": at})
    api.state.mark_dirty()
    return meter


@route("POST", "/v1/billing/meters/{id}/reactivate")
def meter_reactivate(api: Api, params: Params, id: str) -> dict[str, Any]:
    meter = api.state.get("billing.meter", id)
    if meter["status"] == "active":
        raise InvalidRequest("This meter is already active.", param="id")
    meter.update(status="active", updated=api.billing.now())
    meter["status_transitions"]["deactivated_at"] = None
    api.state.mark_dirty()
    return meter


@route("POST", "/v1/billing/meter_events")
def meter_event_create(api: Api, params: Params) -> dict[str, Any]:
    if not params.get("event_name"):
        raise MissingParam("event_name")
    payload = params.get("payload")
    if not isinstance(payload, dict):
        raise MissingParam("payload")
    meter = next(
        (
            m
            for m in _meters(api)
            if m["event_name"] == params["event_name"] and m["status"] == "active"
        ),
        None,
    )
    if meter is None:
        raise InvalidRequest(
            f"No active meter was found with event_name `{params['event_name']}`.",
            param="event_name",
        )
    customer_key = meter["customer_mapping"]["event_payload_key"]
    value_key = meter["value_settings"]["event_payload_key"]
    if not payload.get(customer_key):
        raise InvalidRequest(
            f"Customer mapping key {customer_key} not found in payload.",
            param=f"payload[{customer_key}]",
        )
    api.state.get("customer", payload[customer_key], param=f"payload[{customer_key}]")
    if meter["default_aggregation"]["formula"] != "count":
        if value_key not in payload:
            raise InvalidRequest(
                f"Value key {value_key} not found in payload.", param=f"payload[{value_key}]"
            )
        _value(payload[value_key], f"payload[{value_key}]")
    now = api.billing.now(payload[customer_key])
    timestamp = as_int(params.get("timestamp", now), "timestamp")
    if not now - PAST_WINDOW <= timestamp <= now + FUTURE_WINDOW:
        raise InvalidParameter(
            "Timestamp must be within the past 35 calendar days or up to 5 minutes in the future.",
            param="timestamp",
        )
    identifier = params.get("identifier") or random_token(24)
    if any(e["identifier"] == identifier for e in api.state.all("billing.meter_event")):
        raise InvalidRequest(
            f"An event already exists with identifier {identifier}.",
            code="resource_already_exists",
            param="identifier",
        )
    event = {
        "id": new_id("mtrevt"),
        "object": "billing.meter_event",
        "created": now,
        "event_name": params["event_name"],
        "identifier": identifier,
        "livemode": False,
        "payload": {str(k): str(v) for k, v in payload.items()},
        "timestamp": timestamp,
    }
    api.state.add(event)
    return {key: value for key, value in event.items() if key != "id"}


@route("GET", "/v1/billing/meters/{id}/event_summaries")
def meter_event_summaries(api: Api, params: Params, id: str) -> dict[str, Any]:
    meter = api.state.get("billing.meter", id)
    for required in ("customer", "start_time", "end_time"):
        if not params.get(required):
            raise MissingParam(required)
    start = as_int(params["start_time"], "start_time")
    end = as_int(params["end_time"], "end_time")
    window = params.get("value_grouping_window")
    step = GROUPING_SECONDS.get(window, 60)
    for name, moment in (("start_time", start), ("end_time", end)):
        if moment % step:
            unit = window or "minute"
            raise InvalidRequest(f"{name} must be aligned with {unit} boundaries.", param=name)
    if start >= end:
        raise InvalidRequest("start_time must be before end_time.", param="start_time")
    bounds = [(start, end)]
    if window:
        bounds = [(t, min(t + step, end)) for t in range(start, end, step)]
    summaries = [
        {
            "id": new_id("mtrusg"),
            "object": "billing.meter_event_summary",
            "aggregated_value": meter_usage(api.state, meter, params["customer"], s, e),
            "end_time": e,
            "livemode": False,
            "meter": meter["id"],
            "start_time": s,
        }
        for s, e in bounds
    ]
    return paginate(summaries, params, f"/v1/billing/meters/{meter['id']}/event_summaries")


def meter_usage(state, meter: dict[str, Any], customer_id: str, start: int, end: int) -> float:
    """The meter's aggregate of one customer's events with `start` <= timestamp < `end`."""
    customer_key = meter["customer_mapping"]["event_payload_key"]
    value_key = meter["value_settings"]["event_payload_key"]
    events = sorted(
        (
            e
            for e in state.all("billing.meter_event")
            if e["event_name"] == meter["event_name"]
            and e["payload"].get(customer_key) == customer_id
            and start <= e["timestamp"] < end
        ),
        key=lambda e: (e["timestamp"], e["created"]),
    )
    formula = meter["default_aggregation"]["formula"]
    if formula == "count":
        return float(len(events))
    values = [_value(e["payload"][value_key], value_key) for e in events]
    if formula == "last":
        return float(values[-1]) if values else 0.0
    return float(sum(values, Decimal(0)))


def _value(raw: Any, param: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise InvalidRequest(f"Invalid value in payload: {raw}", param=param)
    return value


def _meters(api: Api) -> list[dict[str, Any]]:
    return api.state.all("billing.meter")

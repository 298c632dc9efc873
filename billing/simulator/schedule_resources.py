"""API handlers for subscription schedules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import InvalidRequest, MissingParam
from .forms import as_bool
from .routing import route
from .store import listing

if TYPE_CHECKING:
    from .server import Api

Params = dict[str, Any]


@route("POST", "/v1/subscription_schedules")
def schedule_create(api: Api, params: Params) -> dict[str, Any]:
    """Only from an existing subscription (the simulator starts subscriptions otherwise)."""
    if not params.get("from_subscription"):
        if params.get("customer") or params.get("phases"):
            raise InvalidRequest(
                "The simulator makes schedules from existing subscriptions only: pass "
                "`from_subscription`.",
                param="from_subscription",
            )
        raise MissingParam("from_subscription")
    for name in sorted(set(params) - {"from_subscription", "expand"}):
        # Stripe takes nothing else with it: phases and the rest are set by an update.
        raise InvalidRequest(f"You cannot set `{name}` if `from_subscription` is set.", param=name)
    sub = api.state.get("subscription", params["from_subscription"], param="from_subscription")
    return api.billing.create_schedule_from(sub, at=api.billing.now(sub["customer"]))


@route("GET", "/v1/subscription_schedules/{schedule}")
def schedule_retrieve(api: Api, params: Params, schedule: str) -> dict[str, Any]:
    return api.state.get("subscription_schedule", schedule)


@route("POST", "/v1/subscription_schedules/{schedule}")
def schedule_update(api: Api, params: Params, schedule: str) -> dict[str, Any]:
    found = api.state.get("subscription_schedule", schedule)
    return api.billing.update_schedule(found, params, at=api.billing.now(found["customer"]))


@route("POST", "/v1/subscription_schedules/{schedule}/release")
def schedule_release(api: Api, params: Params, schedule: str) -> dict[str, Any]:
    found = api.state.get("subscription_schedule", schedule)
    return api.billing.release_schedule(found, at=api.billing.now(found["customer"]))


@route("POST", "/v1/subscription_schedules/{schedule}/cancel")
def schedule_cancel(api: Api, params: Params, schedule: str) -> dict[str, Any]:
    found = api.state.get("subscription_schedule", schedule)
    return api.billing.cancel_schedule(found, at=api.billing.now(found["customer"]))


@route("GET", "/v1/subscription_schedules")
def schedule_list(api: Api, params: Params) -> dict[str, Any]:
    customer = params.get("customer")
    scheduled = params.get("scheduled")

    def keep(schedule: dict[str, Any]) -> bool:
        if customer is not None and schedule["customer"] != customer:
            return False
        if scheduled is not None and as_bool(scheduled, "scheduled"):
            return schedule["status"] == "not_started"
        return True

    return listing(api.state, "subscription_schedule", params, "/v1/subscription_schedules", keep)

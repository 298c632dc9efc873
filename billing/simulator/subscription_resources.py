"""API handlers for subscriptions and their items."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import InvalidParameter, InvalidRequest, MissingParam, ResourceMissing
from .forms import as_bool, as_int, as_list, as_metadata
from .routing import route
from .store import filter_created, paginate
from .taxes import automatic_tax_param

if TYPE_CHECKING:
    from .server import Api

Params = dict[str, Any]

# What an item's create, update or delete passes on to the subscription's update.
UPDATE_PARAMS = ("proration_behavior", "proration_date", "payment_behavior")


@route("POST", "/v1/subscriptions")
def subscription_create(api: Api, params: Params) -> dict[str, Any]:
    if not params.get("customer"):
        raise MissingParam("customer")
    customer = api.state.get("customer", params["customer"], param="customer")
    at = api.billing.now(customer["id"])
    pm_ref = params.get("default_payment_method")
    pm_id = (
        api.billing.payment_method_for(pm_ref, customer, at=at, param="default_payment_method")[
            "id"
        ]
        if pm_ref
        else None
    )
    behavior = params.get("payment_behavior", "allow_incomplete")
    if behavior not in (
        "allow_incomplete",
        "error_if_incomplete",
        "default_incomplete",
        "pending_if_incomplete",
    ):
        raise InvalidParameter(f"Invalid payment_behavior: {behavior}", param="payment_behavior")
    trial = params.get("trial_period_days")
    automatic_tax = "automatic_tax" in params and automatic_tax_param(params["automatic_tax"])
    end_behavior = ((params.get("trial_settings") or {}).get("end_behavior") or {}).get(
        "missing_payment_method", "create_invoice"
    )
    if end_behavior == "pause":
        raise InvalidParameter(
            "Received trial_settings[end_behavior][missing_payment_method]=pause, which Stripe "
            "accepts but which is not simulated (pausing is not).",
            param="trial_settings[end_behavior][missing_payment_method]",
        )
    saving = (params.get("payment_settings") or {}).get("save_default_payment_method", "off")
    return api.billing.create_subscription(
        customer,
        as_list(params.get("items"), "items"),
        at=at,
        default_payment_method=pm_id,
        metadata=as_metadata(params.get("metadata")),
        trial_days=as_int(trial, "trial_period_days") if trial else None,
        payment_behavior=behavior,
        cancel_at_period_end=as_bool(
            params.get("cancel_at_period_end", False), "cancel_at_period_end"
        ),
        trial_end_behavior=end_behavior,
        save_default_payment_method=saving,
        currency=params.get("currency"),
        automatic_tax=automatic_tax,
    )


@route("GET", "/v1/subscriptions/{subscription}")
def subscription_retrieve(api: Api, params: Params, subscription: str) -> dict[str, Any]:
    return api.state.get("subscription", subscription)


@route("POST", "/v1/subscriptions/{subscription}")
def subscription_update(api: Api, params: Params, subscription: str) -> dict[str, Any]:
    sub = api.state.get("subscription", subscription)
    return api.billing.update_subscription(sub, params, at=api.billing.now(sub["customer"]))


@route("DELETE", "/v1/subscriptions/{subscription}")
def subscription_cancel(api: Api, params: Params, subscription: str) -> dict[str, Any]:
    sub = api.state.get("subscription", subscription)
    return api.billing.cancel_subscription(
        sub,
        at=api.billing.now(sub["customer"]),
        reason="cancellation_requested",
        invoice_now=as_bool(params.get("invoice_now", False), "invoice_now"),
    )


@route("POST", "/v1/subscriptions/{subscription}/resume")
def subscription_resume(api: Api, params: Params, subscription: str) -> dict[str, Any]:
    api.state.get("subscription", subscription)
    # Nothing in the simulator pauses a subscription, so there is never one to resume.
    raise InvalidRequest(
        "Only paused subscriptions can be resumed; to undo a cancellation at period end, "
        "update the subscription with cancel_at_period_end=false.",
        param="subscription",
    )


@route("GET", "/v1/subscriptions")
def subscription_list(api: Api, params: Params) -> dict[str, Any]:
    customer = params.get("customer")
    price = params.get("price")
    status = params.get("status")
    clock = params.get("test_clock")

    def keep(sub: dict[str, Any]) -> bool:
        if customer is not None and sub["customer"] != customer:
            return False
        if price is not None and all(i["price"]["id"] != price for i in sub["items"]["data"]):
            return False
        if clock is not None and sub["test_clock"] != clock:
            return False
        if status in (None, ""):
            # Stripe leaves canceled subscriptions out unless asked for them.
            return sub["status"] != "canceled"
        if status == "all":
            return True
        if status == "ended":
            return sub["status"] in ("canceled", "incomplete_expired")
        return sub["status"] == status

    items = [sub for sub in api.state.all("subscription") if keep(sub)]
    return paginate(filter_created(items, params.get("created")), params, "/v1/subscriptions")


def _item_owner(api: Api, item_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for sub in api.state.all("subscription"):
        for item in sub["items"]["data"]:
            if item["id"] == item_id:
                return sub, item
    raise ResourceMissing("subscription_item", item_id)


@route("GET", "/v1/subscription_items")
def subscription_item_list(api: Api, params: Params) -> dict[str, Any]:
    if not params.get("subscription"):
        raise MissingParam("subscription")
    sub = api.state.get("subscription", params["subscription"], param="subscription")
    return paginate(
        sub["items"]["data"], params, f"/v1/subscription_items?subscription={sub['id']}"
    )


@route("GET", "/v1/subscription_items/{item}")
def subscription_item_retrieve(api: Api, params: Params, item: str) -> dict[str, Any]:
    return _item_owner(api, item)[1]


@route("POST", "/v1/subscription_items/{item}")
def subscription_item_update(api: Api, params: Params, item: str) -> dict[str, Any]:
    sub, _ = _item_owner(api, item)
    change = {"id": item}
    for key in ("price", "quantity", "metadata"):
        if key in params:
            change[key] = params[key]
    update = {key: params[key] for key in UPDATE_PARAMS if key in params}
    api.billing.update_subscription(
        sub, {**update, "items": [change]}, at=api.billing.now(sub["customer"])
    )
    return _item_owner(api, item)[1]


@route("POST", "/v1/subscription_items")
def subscription_item_create(api: Api, params: Params) -> dict[str, Any]:
    """Add an item to a subscription: the same as updating it with one more item."""
    if not params.get("subscription"):
        raise MissingParam("subscription")
    if not params.get("price"):
        raise MissingParam("price")
    sub = api.state.get("subscription", params["subscription"], param="subscription")
    known = {item["id"] for item in sub["items"]["data"]}
    change = {key: params[key] for key in ("price", "quantity", "metadata") if key in params}
    update = {key: params[key] for key in UPDATE_PARAMS if key in params}
    api.billing.update_subscription(
        sub, {**update, "items": [change]}, at=api.billing.now(sub["customer"])
    )
    return next(item for item in sub["items"]["data"] if item["id"] not in known)


@route("DELETE", "/v1/subscription_items/{item}")
def subscription_item_delete(api: Api, params: Params, item: str) -> dict[str, Any]:
    """Remove an item from its subscription (never the last one: cancel the subscription)."""
    sub, _ = _item_owner(api, item)
    update = {key: params[key] for key in UPDATE_PARAMS if key in params}
    api.billing.update_subscription(
        sub,
        {**update, "items": [{"id": item, "deleted": "true"}]},
        at=api.billing.now(sub["customer"]),
    )
    return {"id": item, "object": "subscription_item", "deleted": True}

"""API handlers for billing: Checkout, the customer portal, subscriptions and invoices."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import billing_objects, cards, discounts, objects
from .checkout_details import checkout_settings, collected_apply, collected_check
from .currencies import customer_currency_check, price_in
from .errors import (
    CardDeclined,
    InvalidRequest,
    MissingParam,
)
from .forms import as_int, as_list, as_metadata
from .ids import new_id
from .param_fields import merge_settings
from .routing import route
from .store import filter_created, paginate
from .taxes import session_totals_from_invoice

if TYPE_CHECKING:
    from .server import Api

Params = dict[str, Any]


# -- Checkout ------------------------------------------------------------------------------


@route("POST", "/v1/checkout/sessions")
def checkout_session_create(api: Api, params: Params) -> dict[str, Any]:
    mode = params.get("mode")
    if not mode:
        raise MissingParam("mode")
    if mode != "subscription":
        raise InvalidRequest(
            "The simulator supports Checkout only in `subscription` mode.", param="mode"
        )
    if not params.get("success_url"):
        raise MissingParam("success_url")
    customer = (
        api.state.get("customer", params["customer"], param="customer")
        if params.get("customer")
        else None
    )
    line_params = as_list(params.get("line_items"), "line_items")
    if not line_params:
        raise MissingParam("line_items")
    items = []
    # The session charges in `currency`, one of its prices' currency options (by default the
    # customer's currency, else the first price's own).
    currency = str(params.get("currency") or (customer or {}).get("currency") or "").lower()
    for index, line in enumerate(line_params):
        if not isinstance(line, dict) or not line.get("price"):
            raise MissingParam(f"line_items[{index}][price]")
        price = api.billing.recurring_price(line["price"], f"line_items[{index}][price]")
        currency = currency or price["currency"]
        price = price_in(api.state, price, currency, param=f"line_items[{index}][price]")
        product = api.state.get("product", price["product"])
        items.append(
            billing_objects.checkout_item(
                price_obj=price,
                product_name=product["name"],
                quantity=as_int(line.get("quantity", 1), f"line_items[{index}][quantity]"),
            )
        )
    session_id = new_id("cs")
    session = billing_objects.checkout_session(
        session_id=session_id,
        created=api.billing.now(params.get("customer")),
        params=params,
        items=items,
        url=f"{api.base_url()}/checkout/{session_id}",
    )
    session["metadata"] = as_metadata(params.get("metadata"))
    session.update(checkout_settings(api, params, customer, session["currency"]))
    return api.state.add(session)


@route("GET", "/v1/checkout/sessions/{session}")
def checkout_session_retrieve(api: Api, params: Params, session: str) -> dict[str, Any]:
    return api.state.get("checkout.session", session)


@route("GET", "/v1/checkout/sessions")
def checkout_session_list(api: Api, params: Params) -> dict[str, Any]:
    filters = {key: params.get(key) for key in ("customer", "subscription", "status")}
    items = [
        s
        for s in api.state.all("checkout.session")
        if all(value is None or s[key] == value for key, value in filters.items())
    ]
    return paginate(filter_created(items, params.get("created")), params, "/v1/checkout/sessions")


@route("GET", "/v1/checkout/sessions/{session}/line_items")
def checkout_session_line_items(api: Api, params: Params, session: str) -> dict[str, Any]:
    found = api.state.get("checkout.session", session)
    return paginate(found["_line_items"], params, f"/v1/checkout/sessions/{session}/line_items")


@route("POST", "/v1/checkout/sessions/{session}/expire")
def checkout_session_expire(api: Api, params: Params, session: str) -> dict[str, Any]:
    found = api.state.get("checkout.session", session)
    if found["status"] != "open":
        raise InvalidRequest(
            f'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
            f'Session has a status of "{found["status"]}".',
            param="session",
        )
    found["status"] = "expired"
    at = api.billing.now(found["customer"])
    found["expires_at"] = at
    api.billing.emit("checkout.session.expired", found, at=at)
    return found


def checkout_pay(
    api: Api,
    session: dict[str, Any],
    *,
    test_card: str,
    email: str | None,
    promotion_code: str | None = None,
    collected: dict[str, Any] | None = None,
) -> None:
    """What the hosted page's Pay button does: the customer (with the address and tax ID the
    page collected), the subscription, the events. A promotion code the page refuses stops it
    before anything is paid."""
    if session["status"] != "open":
        raise InvalidRequest(f"This Checkout Session is {session['status']}.")
    customer = api.state.find("customer", session["customer"])
    collected = collected or {"address": None, "tax_id": None}
    collected_check(session, customer, collected)
    customer_currency_check(api.state, customer, session["currency"])
    at = api.billing.now(customer and customer["id"])
    code = None
    if promotion_code and session["allow_promotion_codes"]:
        try:
            code = discounts.promotion_code_for_checkout(
                api.state,
                promotion_code,
                customer_id=customer and customer["id"],
                amount=session["amount_subtotal"],
                currency=session["currency"],
                at=at,
            )
        except discounts.CodeRefused as refusal:
            session["_last_error"] = refusal.message
            api.state.mark_dirty()
            raise
    declines = cards.TEST_CARDS[test_card]["declines"]
    if declines:
        # The card is refused before anything is created; the page shows the error.
        session["_last_error"] = "Your card was declined."
        api.state.mark_dirty()
        raise CardDeclined()
    if customer is None:
        customer = objects.customer(
            created=at,
            params={
                "email": email or session["customer_email"] or "jenny.rosen@example.com",
                "name": "Jenny Rosen",
            },
            test_clock=None,
        )
        if collected["address"]:
            customer["address"] = objects.address(collected["address"])
        api.state.add(customer)
        api.billing.emit("customer.created", customer, at=at)
        session["customer"] = customer["id"]
        created = True
    else:
        created = False
    customer_details = collected_apply(api, session, customer, collected, at=at, created=created)
    pm = api.billing.payment_method_for(test_card, customer, at=at, param="payment_method")
    pending: list = []
    subscription_data = session["_subscription_data"]
    trial_days = subscription_data.get("trial_period_days")
    subscription_id = new_id("sub")
    discount = None
    if code is not None:
        discount = discounts.redeem(
            api.state,
            code,
            customer_id=customer["id"],
            subscription_id=subscription_id,
            checkout_session=session["id"],
            at=at,
        )
        session["discounts"] = [{"coupon": None, "promotion_code": code["id"]}]
    sub = api.billing.create_subscription(
        customer,
        [
            {"price": item["price"]["id"], "quantity": item["quantity"]}
            for item in session["_line_items"]
        ],
        at=at,
        default_payment_method=pm["id"],
        metadata=as_metadata(subscription_data.get("metadata")),
        trial_days=as_int(trial_days, "trial_period_days") if trial_days else None,
        payment_behavior="allow_incomplete",
        pending=pending,
        subscription_id=subscription_id,
        discounts=[discount["id"]] if discount else None,
        currency=session["currency"],
        automatic_tax=session["automatic_tax"]["enabled"],
    )
    if discount is not None:
        first = api.state.get("invoice", sub["latest_invoice"])
        off = sum(entry["amount"] for entry in first["total_discount_amounts"])
        session["total_details"]["amount_discount"] = off
        session["amount_total"] = session["amount_subtotal"] - off
    session_totals_from_invoice(session, api.state.find("invoice", sub["latest_invoice"]))
    session.update(
        status="complete",
        payment_status="paid" if sub["status"] == "active" else "no_payment_required",
        subscription=sub["id"],
        invoice=sub["latest_invoice"],
        _last_error=None,
        customer_details=customer_details,
        collected_information={
            "business_name": None,
            "individual_name": None,
            "shipping_details": None,
        },
    )
    api.billing.emit("checkout.session.completed", session, at=at)
    api.events.release(pending)


# -- the customer portal -------------------------------------------------------------------


def default_portal_configuration(api: Api) -> dict[str, Any]:
    return next(c for c in api.state.all("billing_portal.configuration") if c["is_default"])


@route("POST", "/v1/billing_portal/sessions")
def portal_session_create(api: Api, params: Params) -> dict[str, Any]:
    if not params.get("customer"):
        raise MissingParam("customer")
    customer = api.state.get("customer", params["customer"], param="customer")
    configuration = (
        api.state.get(
            "billing_portal.configuration", params["configuration"], param="configuration"
        )
        if params.get("configuration")
        else default_portal_configuration(api)
    )
    session_id = new_id("bps")
    flow = params.get("flow_data")
    session = billing_objects.portal_session(
        session_id=session_id,
        created=api.billing.now(customer["id"]),
        customer_id=customer["id"],
        configuration_id=configuration["id"],
        return_url=params.get("return_url") or configuration["default_return_url"],
        url=f"{api.base_url()}/portal/{session_id}",
        flow=flow if isinstance(flow, dict) else None,
        locale=params.get("locale"),
    )
    return api.state.add(session)


@route("GET", "/v1/billing_portal/configurations")
def portal_configuration_list(api: Api, params: Params) -> dict[str, Any]:
    return paginate(
        api.state.all("billing_portal.configuration"), params, "/v1/billing_portal/configurations"
    )


@route("GET", "/v1/billing_portal/configurations/{configuration}")
def portal_configuration_retrieve(api: Api, params: Params, configuration: str) -> dict[str, Any]:
    return api.state.get("billing_portal.configuration", configuration)


@route("POST", "/v1/billing_portal/configurations")
def portal_configuration_create(api: Api, params: Params) -> dict[str, Any]:
    configuration = objects.portal_configuration(created=api.billing.now(), is_default=False)
    configuration["default_return_url"] = params.get("default_return_url")
    configuration["metadata"] = as_metadata(params.get("metadata"))
    configuration["name"] = params.get("name")
    for key in ("business_profile", "features"):
        configuration[key] = merge_settings(configuration[key], params.get(key))
    return api.state.add(configuration)


def portal_action(api: Api, session: dict[str, Any], form: dict[str, str]) -> None:
    """What the portal page's buttons do to the customer's subscription or card."""
    customer = api.state.get("customer", session["customer"])
    at = api.billing.now(customer["id"])
    action = form.get("action")
    sub = api.state.find("subscription", form.get("subscription"))
    if action in ("switch_plan", "cancel", "resume") and (
        sub is None or sub["customer"] != customer["id"]
    ):
        raise InvalidRequest("Choose one of your subscriptions.", param="subscription")
    if action == "switch_plan":
        price = api.billing.recurring_price(form.get("price"), "price")
        item = sub["items"]["data"][0]
        api.billing.update_subscription(
            sub,
            {
                "items": [{"id": item["id"], "price": price["id"]}],
                "proration_behavior": "create_prorations",
            },
            at=at,
        )
    elif action == "cancel":
        api.billing.update_subscription(sub, {"cancel_at_period_end": "true"}, at=at)
    elif action == "resume":
        api.billing.update_subscription(sub, {"cancel_at_period_end": "false"}, at=at)
    elif action == "update_card":
        card = form.get("card", "pm_card_visa")
        if card not in cards.TEST_CARDS:
            raise InvalidRequest("Choose a test card.", param="card")
        pm = api.billing.payment_method_for(card, customer, at=at, param="card")
        api.billing.set_default_payment_method(customer, pm["id"], at=at)
        # The portal makes the new card the default of the customer's subscriptions too.
        for owned in api.state.all("subscription"):
            if owned["customer"] == customer["id"] and owned["status"] != "canceled":
                api.billing.update_subscription(owned, {"default_payment_method": pm["id"]}, at=at)
    else:
        raise InvalidRequest(f"Unknown portal action: {action}", param="action")

"""API handlers for customers, their payment methods and charges."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import cards, objects
from .errors import CardDeclined, InvalidParameter, InvalidRequest, MissingParam
from .events import previous_attributes
from .forms import as_metadata
from .param_fields import set_customer_fields
from .routing import route
from .store import deleted_stub, listing, paginate
from .tax_id_resources import tax_id_add, tax_id_value_valid

if TYPE_CHECKING:
    from .server import Api

Params = dict[str, Any]


def _listing(api: Api, kind: str, params: Params, url: str, keep: Any = None) -> dict[str, Any]:
    return listing(api.state, kind, params, url, keep)


# -- customers ------------------------------------------------------------------------------


@route("POST", "/v1/customers")
def customer_create(api: Api, params: Params) -> dict[str, Any]:
    clock_id = params.get("test_clock")
    if clock_id:
        api.state.get("test_helpers.test_clock", clock_id, param="test_clock")
    as_metadata(params.get("metadata"))  # refused before anything is made
    pm_ref = params.get("payment_method")
    default_ref = (params.get("invoice_settings") or {}).get("default_payment_method")
    source = params.get("source")
    if source and (not isinstance(source, str) or source not in cards.TEST_TOKENS):
        raise InvalidRequest(f"No such token: '{source}'", code="resource_missing", param="source")
    # Stripe checks the cards and tax IDs before it creates anything: a declined card or a
    # malformed tax ID creates no customer.
    for reference in (source, pm_ref, default_ref):
        refusal = api.billing.attach_refusal(reference)
        if refusal is not None:
            raise CardDeclined(decline=refusal)
    tax_id_data = params.get("tax_id_data") or []
    for index, datum in enumerate(tax_id_data):
        if not tax_id_value_valid(datum.get("type", ""), datum.get("value", "")):
            raise InvalidRequest(
                f"Invalid value for {datum.get('type')}.",
                code="tax_id_invalid",
                param=f"tax_id_data[{index}][value]",
            )
    customer = objects.customer(created=0, params={}, test_clock=clock_id or None)
    at = (
        api.billing.now()
        if not clock_id
        else api.state.get("test_helpers.test_clock", clock_id)["frozen_time"]
    )
    customer["created"] = at
    set_customer_fields(customer, params)
    api.state.add(customer)
    api.billing.emit("customer.created", customer, at=at)
    for index, datum in enumerate(tax_id_data):
        tax_id_add(
            api,
            customer,
            datum["type"],
            datum["value"],
            at=at,
            param=f"tax_id_data[{index}][value]",
        )
    if source:
        # Legacy sources are not simulated: the card pays the customer's invoices as its
        # default source would, and is listed among its payment methods.
        pm = api.billing.payment_method_for(source, customer, at=at, param="source")
        customer["_source_payment_method"] = pm["id"]
    if pm_ref:
        pm = api.billing.payment_method_for(pm_ref, customer, at=at, param="payment_method")
        if default_ref == pm_ref:
            default_ref = pm["id"]
    if default_ref:
        pm = api.billing.payment_method_for(
            default_ref, customer, at=at, param="invoice_settings[default_payment_method]"
        )
        api.billing.set_default_payment_method(customer, pm["id"], at=at)
    return customer


@route("GET", "/v1/customers/{customer}")
def customer_retrieve(api: Api, params: Params, customer: str) -> dict[str, Any]:
    found = api.state.objects["customer"].get(customer)
    if found is not None and found.get("_deleted"):
        return deleted_stub(found)
    return api.state.get("customer", customer)


@route("POST", "/v1/customers/{customer}")
def customer_update(api: Api, params: Params, customer: str) -> dict[str, Any]:
    obj = api.state.get("customer", customer)
    at = api.billing.now(customer)
    before = copy.deepcopy(obj)
    set_customer_fields(obj, params)
    settings = params.get("invoice_settings") or {}
    if "default_payment_method" in settings:
        ref = settings["default_payment_method"]
        obj["invoice_settings"]["default_payment_method"] = (
            api.billing.payment_method_for(
                ref, obj, at=at, param="invoice_settings[default_payment_method]"
            )["id"]
            if ref
            else None
        )
    changes = previous_attributes(before, obj)
    if changes:
        api.billing.emit("customer.updated", obj, at=at, previous=changes)
    api.state.mark_dirty()
    return obj


@route("DELETE", "/v1/customers/{customer}")
def customer_delete(api: Api, params: Params, customer: str) -> dict[str, Any]:
    obj = api.state.get("customer", customer)
    at = api.billing.now(customer)
    for sub in api.state.all("subscription"):
        if sub["customer"] == customer and sub["status"] not in ("canceled", "incomplete_expired"):
            api.billing.cancel_subscription(sub, at=at, reason="cancellation_requested")
    obj["_deleted"] = True
    api.billing.emit("customer.deleted", obj, at=at)
    return deleted_stub(obj)


@route("GET", "/v1/customers")
def customer_list(api: Api, params: Params) -> dict[str, Any]:
    email = params.get("email")
    clock = params.get("test_clock")
    return _listing(
        api,
        "customer",
        params,
        "/v1/customers",
        lambda c: (
            (email is None or c["email"] == email) and (clock is None or c["test_clock"] == clock)
        ),
    )


@route("GET", "/v1/customers/{customer}/sources")
def customer_sources(api: Api, params: Params, customer: str) -> dict[str, Any]:
    """Legacy sources (cards, bank accounts): always none here, cards are payment methods.
    dj-stripe's ``djstripe_sync_models`` lists them (``object=card|bank_account``) per customer."""
    api.state.get("customer", customer)
    if params.get("object") not in (None, "card", "bank_account", "source"):
        raise InvalidParameter(f"Invalid object: {params['object']}", param="object")
    return paginate([], params, f"/v1/customers/{customer}/sources")


@route("GET", "/v1/customers/{customer}/payment_methods")
def customer_payment_methods(api: Api, params: Params, customer: str) -> dict[str, Any]:
    api.state.get("customer", customer)
    pm_type = params.get("type")
    return _listing(
        api,
        "payment_method",
        params,
        f"/v1/customers/{customer}/payment_methods",
        lambda pm: pm["customer"] == customer and pm_type in (None, pm["type"]),
    )


# -- payment methods and charges -----------------------------------------------------------


@route("POST", "/v1/payment_methods")
def payment_method_create(api: Api, params: Params) -> dict[str, Any]:
    if params.get("type") != "card":
        raise InvalidRequest("The simulator supports only `type=card`.", param="type")
    card = params.get("card") or {}
    token = card.get("token") if isinstance(card, dict) else None
    if not token:
        raise InvalidRequest(
            "Use a test token (card[token]=tok_visa) or a test id such as pm_card_visa.",
            param="card[token]",
        )
    test_card = cards.TEST_TOKENS.get(token)
    if test_card is None:
        raise InvalidRequest(
            f"No such token: '{token}'", code="resource_missing", param="card[token]"
        )
    pm = objects.payment_method(
        created=api.billing.now(),
        test_card=test_card,
        customer_id=None,
        billing_details=params.get("billing_details"),
    )
    pm["metadata"] = as_metadata(params.get("metadata"))
    return api.state.add(pm)


@route("GET", "/v1/payment_methods/{payment_method}")
def payment_method_retrieve(api: Api, params: Params, payment_method: str) -> dict[str, Any]:
    return api.state.get("payment_method", payment_method)


@route("POST", "/v1/payment_methods/{payment_method}/attach")
def payment_method_attach(api: Api, params: Params, payment_method: str) -> dict[str, Any]:
    if not params.get("customer"):
        raise MissingParam("customer")
    customer = api.state.get("customer", params["customer"], param="customer")
    return api.billing.payment_method_for(
        payment_method, customer, at=api.billing.now(customer["id"]), param="payment_method"
    )


@route("POST", "/v1/payment_methods/{payment_method}/detach")
def payment_method_detach(api: Api, params: Params, payment_method: str) -> dict[str, Any]:
    pm = api.state.get("payment_method", payment_method)
    if pm["customer"] is None:
        raise InvalidRequest(
            "The payment method you provided is not attached to a customer so detachment "
            "is impossible.",
            param="payment_method",
        )
    customer = api.state.get("customer", pm["customer"])
    at = api.billing.now(customer["id"])
    pm["customer"] = None
    if customer["invoice_settings"]["default_payment_method"] == pm["id"]:
        api.billing.set_default_payment_method(customer, None, at=at)
    api.billing.emit("payment_method.detached", pm, at=at, previous={"customer": customer["id"]})
    return pm


@route("GET", "/v1/payment_methods")
def payment_method_list(api: Api, params: Params) -> dict[str, Any]:
    customer = params.get("customer")
    pm_type = params.get("type")
    return _listing(
        api,
        "payment_method",
        params,
        "/v1/payment_methods",
        lambda pm: (
            pm["customer"] is not None
            and (customer is None or pm["customer"] == customer)
            and pm_type in (None, pm["type"])
        ),
    )


@route("GET", "/v1/charges/{charge}")
def charge_retrieve(api: Api, params: Params, charge: str) -> dict[str, Any]:
    return api.state.get("charge", charge)


@route("GET", "/v1/charges")
def charge_list(api: Api, params: Params) -> dict[str, Any]:
    customer = params.get("customer")
    return _listing(
        api,
        "charge",
        params,
        "/v1/charges",
        lambda c: customer is None or c["customer"] == customer,
    )

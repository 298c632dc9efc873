"""API handlers for invoices: retrieve, list, pay, void and preview."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import CardDeclined, InvalidRequest, MissingParam, StripeApiError
from .forms import as_int, as_list
from .routing import route
from .store import filter_created, paginate

if TYPE_CHECKING:
    from .server import Api

Params = dict[str, Any]


@route("GET", "/v1/invoices/{invoice}")
def invoice_retrieve(api: Api, params: Params, invoice: str) -> dict[str, Any]:
    return api.state.get("invoice", invoice)


@route("GET", "/v1/invoices")
def invoice_list(api: Api, params: Params) -> dict[str, Any]:
    customer = params.get("customer")
    subscription = params.get("subscription")
    status = params.get("status")

    def keep(invoice: dict[str, Any]) -> bool:
        parent = (invoice["parent"] or {}).get("subscription_details") or {}
        return (
            (customer is None or invoice["customer"] == customer)
            and (subscription is None or parent.get("subscription") == subscription)
            and (status is None or invoice["status"] == status)
        )

    items = [i for i in api.state.all("invoice") if keep(i)]
    return paginate(filter_created(items, params.get("created")), params, "/v1/invoices")


@route("GET", "/v1/invoices/{invoice}/lines")
def invoice_lines(api: Api, params: Params, invoice: str) -> dict[str, Any]:
    found = api.state.get("invoice", invoice)
    return paginate(found["lines"]["data"], params, f"/v1/invoices/{invoice}/lines")


@route("POST", "/v1/invoices/{invoice}/pay")
def invoice_pay(api: Api, params: Params, invoice: str) -> dict[str, Any]:
    found = api.state.get("invoice", invoice)
    if found["status"] != "open":
        raise InvalidRequest(
            "Invoice is already paid."
            if found["status"] == "paid"
            else f"This invoice can't be paid: it is {found['status']}.",
            code="invoice_not_open",
        )
    customer = api.state.get("customer", found["customer"])
    at = api.billing.now(customer["id"])
    pm = (
        api.billing.payment_method_for(
            params["payment_method"], customer, at=at, param="payment_method"
        )
        if params.get("payment_method")
        else None
    )
    if not api.billing.pay_open_invoice(found, at=at, pm=pm):
        # Stripe answers a failed /pay with the card error; the failure is already recorded.
        raise CardDeclined(payment_method=pm and pm["id"])
    return found


@route("POST", "/v1/invoices/{invoice}/void")
def invoice_void(api: Api, params: Params, invoice: str) -> dict[str, Any]:
    found = api.state.get("invoice", invoice)
    if found["status"] != "open":
        raise InvalidRequest("You can only void open invoices.")
    at = api.billing.now(found["customer"])
    found["status"] = "void"
    found["next_payment_attempt"] = None
    found["status_transitions"]["voided_at"] = at
    api.billing.emit("invoice.voided", found, at=at)
    return found


def _preview(
    api: Api,
    subscription_id: Any,
    customer_id: Any,
    items: Any,
    proration_behavior: Any,
    proration_date: Any,
) -> dict[str, Any]:
    if subscription_id:
        sub = api.state.get("subscription", subscription_id, param="subscription")
    elif customer_id:
        customer = api.state.get("customer", customer_id, param="customer")
        sub = next(
            (
                s
                for s in api.state.all("subscription")
                if s["customer"] == customer["id"]
                and s["status"] not in ("canceled", "incomplete_expired")
            ),
            None,
        )
        if sub is None:
            raise StripeApiError(
                "No upcoming invoices for customer: " + customer_id, code="invoice_upcoming_none"
            )
    else:
        raise MissingParam("customer")
    at = (
        as_int(proration_date, "proration_date")
        if proration_date
        else api.billing.now(sub["customer"])
    )
    behavior = proration_behavior or "create_prorations"
    return api.billing.preview(sub, as_list(items, "items"), at=at, proration_behavior=behavior)


@route("POST", "/v1/invoices/create_preview")
def invoice_create_preview(api: Api, params: Params) -> dict[str, Any]:
    details = params.get("subscription_details") or {}
    return _preview(
        api,
        params.get("subscription"),
        params.get("customer"),
        details.get("items"),
        details.get("proration_behavior"),
        details.get("proration_date"),
    )


@route("GET", "/v1/invoices/upcoming")
def invoice_upcoming(api: Api, params: Params) -> dict[str, Any]:
    return _preview(
        api,
        params.get("subscription"),
        params.get("customer"),
        params.get("subscription_items"),
        params.get("subscription_proration_behavior"),
        params.get("subscription_proration_date"),
    )

"""API handlers for invoices: retrieve, list, pay, void and preview."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import CardDeclined, InvalidParameter, InvalidRequest, StripeApiError
from .forms import as_int, as_list
from .routing import route
from .store import filter_created, paginate

if TYPE_CHECKING:
    from .server import Api

Params = dict[str, Any]
ENDED = ("canceled", "incomplete_expired")


class UpcomingNone(StripeApiError):
    status = 404

    def __init__(self, customer_id: str) -> None:
        super().__init__(
            f"No upcoming invoices for customer: {customer_id}", code="invoice_upcoming_none"
        )


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
        api.billing.paying_method(params["payment_method"], customer, at=at, param="payment_method")
        if params.get("payment_method")
        else None
    )
    if not api.billing.pay_open_invoice(found, at=at, pm=pm):
        # Stripe answers a failed /pay with the card error; the failure is already recorded.
        charged = pm or api.billing.charging_method(None, customer)
        raise CardDeclined(
            payment_method=charged and charged["id"], decline=charged and charged.get("_decline")
        )
    return found


@route("POST", "/v1/invoices/{invoice}/void")
def invoice_void(api: Api, params: Params, invoice: str) -> dict[str, Any]:
    found = api.state.get("invoice", invoice)
    if found["status"] != "open":
        raise InvalidRequest("You can only void open invoices.")
    at = api.billing.now(found["customer"])
    found["status"] = "void"
    found["auto_advance"] = False
    found["next_payment_attempt"] = None
    found["status_transitions"]["voided_at"] = at
    api.billing.emit("invoice.voided", found, at=at)
    return found


@route("POST", "/v1/invoices/create_preview")
def invoice_create_preview(api: Api, params: Params) -> dict[str, Any]:
    """The invoice a subscription will make next, or that a change to it would make.

    Since API version 2025-03-31.basil a preview names what it previews: a customer alone
    (Stripe's old "next invoice across all their subscriptions") is refused. A subscription
    with nothing more to invoice is Stripe's 404 ``invoice_upcoming_none``.
    """
    details = params.get("subscription_details") or {}
    if not isinstance(details, dict):
        raise InvalidParameter("Invalid object", param="subscription_details")
    items = as_list(details.get("items"), "subscription_details[items]")
    named = ("subscription", "schedule", "invoice_items")
    schedule_phases = (params.get("schedule_details") or {}).get("phases")
    if not (items or schedule_phases or any(params.get(key) for key in named)):
        raise InvalidParameter(
            "You must provide at least one of: `subscription`, `schedule`, "
            "`subscription_details.items`, `schedule_details.phases`, `invoice_items`."
        )
    if not params.get("subscription"):
        raise InvalidParameter(
            "The simulator previews existing subscriptions only: pass `subscription`.",
            param="subscription",
        )
    sub = api.state.get("subscription", params["subscription"], param="subscription")
    if params.get("customer") and params["customer"] != sub["customer"]:
        api.state.get("customer", params["customer"], param="customer")
        raise InvalidRequest(
            f"The subscription {sub['id']} does not belong to customer {params['customer']}.",
            param="subscription",
        )
    ending = sub["cancel_at_period_end"] and not items and not sub["_pending_items"]
    if sub["status"] in ENDED or ending:
        raise UpcomingNone(sub["customer"])
    proration_date = details.get("proration_date")
    at = (
        as_int(proration_date, "subscription_details[proration_date]")
        if proration_date
        else api.billing.now(sub["customer"])
    )
    behavior = details.get("proration_behavior") or "create_prorations"
    return api.billing.preview(sub, items, at=at, proration_behavior=behavior)

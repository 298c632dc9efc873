"""API handlers for invoices: create, finalize, pay, void, list and preview."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import CardDeclined, InvalidParameter, InvalidRequest, MissingParam, StripeApiError
from .forms import as_bool, as_int, as_list, as_metadata
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


@route("POST", "/v1/invoices")
def invoice_create(api: Api, params: Params) -> dict[str, Any]:
    """A one-off draft invoice for a customer. As in Stripe's current API it takes the pending
    invoice items (here: a subscription's prorations not yet invoiced) only with
    ``pending_invoice_items_behavior=include``, and advances by itself only with
    ``auto_advance=true``."""
    if not params.get("customer"):
        raise MissingParam("customer")
    behavior = params.get("pending_invoice_items_behavior", "exclude")
    if behavior not in ("include", "exclude"):
        raise InvalidParameter(
            f"Invalid pending_invoice_items_behavior: {behavior}",
            param="pending_invoice_items_behavior",
        )
    collection = params.get("collection_method", "charge_automatically")
    if collection not in ("charge_automatically", "send_invoice"):
        raise InvalidParameter(
            f"Invalid collection_method: {collection}", param="collection_method"
        )
    auto_advance = as_bool(params.get("auto_advance", False), "auto_advance")
    days_until_due = (
        as_int(params["days_until_due"], "days_until_due") if "days_until_due" in params else None
    )
    if collection == "send_invoice" and days_until_due is None and "due_date" not in params:
        raise MissingParam("days_until_due")
    metadata = as_metadata(params.get("metadata"))
    customer = api.state.get("customer", params["customer"], param="customer")
    sub = None
    if params.get("subscription"):
        sub = api.state.get("subscription", params["subscription"], param="subscription")
        if sub["customer"] != customer["id"]:
            raise InvalidRequest(
                f"The subscription {sub['id']} does not belong to customer {customer['id']}.",
                param="subscription",
            )
    at = api.billing.now(customer["id"])
    lines: list[dict[str, Any]] = []
    if behavior == "include":
        for owned in api.state.all("subscription"):
            if owned["customer"] == customer["id"] and (sub is None or owned is sub):
                lines += owned["_pending_items"]
                owned["_pending_items"] = []
    invoice = api.billing.new_invoice(
        customer, sub, "manual", lines, at=at, period_start=at, period_end=at
    )
    invoice.update(
        auto_advance=auto_advance,
        automatically_finalizes_at=at + 3600 if auto_advance else None,
        collection_method=collection,
        description=params.get("description") or None,
        metadata=metadata,
    )
    if not lines:
        invoice["currency"] = str(params.get("currency") or customer["currency"] or "usd").lower()
    if collection == "send_invoice":
        invoice["due_date"] = (
            as_int(params["due_date"], "due_date")
            if "due_date" in params
            else at + (days_until_due or 0) * 86400
        )
    api.state.add(invoice)
    api.billing.emit("invoice.created", invoice, at=at)
    return invoice


@route("POST", "/v1/invoices/{invoice}/finalize")
def invoice_finalize(api: Api, params: Params, invoice: str) -> dict[str, Any]:
    """Finalize a draft now. A zero invoice is paid at once; with ``auto_advance`` Stripe goes
    on to collect a charge_automatically one."""
    found = api.state.get("invoice", invoice)
    auto_advance = (
        as_bool(params["auto_advance"], "auto_advance")
        if "auto_advance" in params
        else found["auto_advance"]
    )
    if found["status"] != "draft":
        raise InvalidRequest(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice."
        )
    found["auto_advance"] = auto_advance
    api.billing.finalize_now(found, at=api.billing.now(found["customer"]), outcome=None)
    return found


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


# Stripe's answer to /pay when the card needs 3-D Secure: the cardholder must authenticate.
REQUIRES_ACTION = (
    "invoice_payment_intent_requires_action",
    None,
    "This payment requires additional user action before it can be completed successfully. "
    "Payment can be completed using the PaymentIntent associated with the invoice. For more "
    "details see: https://stripe.com/docs/billing/subscriptions/overview#requires-action",
)


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
        if found.get("_requires_action"):
            raise CardDeclined(payment_method=charged["id"], decline=REQUIRES_ACTION)
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

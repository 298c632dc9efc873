"""A valid request for every route the simulator serves, over a small world of Stripe objects,
and the requests that Stripe refuses, chosen from each route's parameter types."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
import stripe

from billing.simulator import DEMO_SECRET_KEY
from billing.simulator.params import Coverage
from billing.simulator.simulated import SIMULATED
from billing.simulator.stripe_spec import ParamType, endpoint, fields_of
from tests.simulator.helpers import checkout, create_catalogue

World = dict[str, str]


def form(params: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Stripe's form encoding: ``a[b][0]=c``; booleans as ``true``/``false``."""
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            yield from form(value, name)
        elif isinstance(value, list):
            yield from form(dict(enumerate(value)), name)
        elif isinstance(value, bool):
            yield name, str(value).lower()
        else:
            yield name, str(value)


def send(url: str, method: str, path: str, params: dict[str, Any]) -> requests.Response:
    encoded = urlencode(list(form(params)))
    body = encoded if method == "POST" else None
    query = f"?{encoded}" if method != "POST" and encoded else ""
    return requests.request(
        method,
        f"{url}{path}{query}",
        data=body,
        headers={
            "Authorization": f"Bearer {DEMO_SECRET_KEY}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=10,
    )


def build_world(client: stripe.StripeClient) -> World:
    prices = create_catalogue(client)
    session, _ = checkout(client, prices["pro_monthly"].id)
    subscription = client.v1.subscriptions.retrieve(session.subscription)
    declined = client.v1.customers.create(
        params={
            "payment_method": "pm_card_chargeCustomerFail",
            "invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"},
        }
    )
    open_invoices = [
        client.v1.subscriptions.create(
            params={"customer": declined.id, "items": [{"price": prices[key].id}]}
        ).latest_invoice
        for key in ("pro_monthly", "enterprise_monthly")
    ]
    open_session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": prices["pro_yearly"].id}],
            "success_url": "http://acme.localhost:8000/billing/success/",
        }
    )
    card = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    tax_ids = [
        client.v1.customers.tax_ids.create(
            session.customer, params={"type": "eu_vat", "value": value}
        ).id
        for value in ("DE123456789", "FRAB123456789")
    ]
    coupon = client.v1.coupons.create(
        params={"percent_off": 20, "duration": "repeating", "duration_in_months": 3}
    )
    promotion_code = client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "WELCOME20"}
    )
    scheduled = client.v1.subscriptions.create(
        params={
            "customer": session.customer,
            "items": [{"price": prices["enterprise_monthly"].id}],
            "default_payment_method": subscription.default_payment_method,
        }
    )
    meters = [
        client.v1.billing.meters.create(
            params={
                "display_name": name,
                "event_name": name,
                "default_aggregation": {"formula": "sum"},
            }
        ).id
        for name in ("conformance_usage", "deactivatable_usage", "inactive_usage")
    ]
    client.v1.billing.meters.deactivate(meters[2])
    return {
        "meter": meters[0],
        "deactivatable_meter": meters[1],
        "inactive_meter": meters[2],
        "tax_rate": _tax_rate(client, prices["pro_monthly"].id),
        "coupon": coupon.id,
        "deletable_coupon": client.v1.coupons.create(params={"percent_off": 5}).id,
        "promotion_code": promotion_code.id,
        "schedule": client.v1.subscription_schedules.create(
            params={"from_subscription": scheduled.id}
        ).id,
        "customer": session.customer,
        "subscription": subscription.id,
        "item": subscription["items"].data[0].id,
        "invoice": subscription.latest_invoice,
        "open_invoice": open_invoices[0],
        "voidable_invoice": open_invoices[1],
        "draft_invoice": client.v1.invoices.create(params={"customer": session.customer}).id,
        "session": session.id,
        "open_session": open_session.id,
        "product": prices["pro_monthly"].product,
        "bare_product": client.v1.products.create(params={"name": "Unpriced"}).id,
        "price": prices["pro_monthly"].id,
        "yearly_price": prices["pro_yearly"].id,
        "payment_method": subscription.default_payment_method,
        "card": card.id,
        "tax_id": tax_ids[0],
        "deletable_tax_id": tax_ids[1],
        "charge": client.v1.charges.list().data[0].id,
        "event": client.v1.events.list().data[0].id,
        "configuration": client.v1.billing_portal.configurations.list().data[0].id,
        "account": client.v1.accounts.retrieve_current().id,
        "webhook_endpoint": client.v1.webhook_endpoints.create(
            params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["invoice.paid"]}
        ).id,
        "test_clock": client.v1.test_helpers.test_clocks.create(
            params={"frozen_time": 1_767_225_600}
        ).id,
        "feature": client.v1.entitlements.features.create(
            params={"name": "Escrows", "lookup_key": "escrows"}
        ).id,
    }


def _tax_rate(client: stripe.StripeClient, price_id: str) -> str:
    """The tax rate Stripe Tax made for a German customer's invoice."""
    customer = client.v1.customers.create(
        params={
            "address": {"line1": "Hauptstraße 1", "postal_code": "10115", "country": "DE"},
            "payment_method": "pm_card_visa",
        }
    )
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price_id}],
            "default_payment_method": "pm_card_visa",
            "automatic_tax": {"enabled": True},
        }
    )
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    return invoice.total_taxes[0].tax_rate_details.tax_rate


@dataclass(frozen=True)
class Case:
    """A valid request to a route; ``status`` is what Stripe answers it."""

    params: Callable[[World], dict[str, Any]] = lambda w: {}
    ids: Callable[[World], dict[str, str]] = lambda w: {}
    status: int = 200


def same(*names: str) -> Callable[[World], dict[str, str]]:
    return lambda w: {name: w[name] for name in names}


PAGE = {"limit": 3}
CASES: dict[tuple[str, str], Case] = {
    ("POST", "/v1/checkout/sessions"): Case(
        lambda w: {
            "mode": "subscription",
            "customer": w["customer"],
            "line_items": [{"price": w["price"], "quantity": 1}],
            "success_url": "http://acme.localhost:8000/ok/",
            "metadata": {"tenant": "acme"},
            "subscription_data": {"metadata": {"tenant": "acme"}},
        }
    ),
    ("GET", "/v1/checkout/sessions/{session}"): Case(
        lambda w: {"expand": ["line_items"]}, same("session")
    ),
    ("GET", "/v1/checkout/sessions"): Case(lambda w: {"customer": w["customer"], **PAGE}),
    ("GET", "/v1/checkout/sessions/{session}/line_items"): Case(ids=same("session")),
    ("POST", "/v1/checkout/sessions/{session}/expire"): Case(
        ids=lambda w: {"session": w["open_session"]}
    ),
    ("POST", "/v1/billing_portal/sessions"): Case(
        lambda w: {"customer": w["customer"], "return_url": "http://acme.localhost:8000/"}
    ),
    ("GET", "/v1/billing_portal/configurations"): Case(),
    ("GET", "/v1/billing_portal/configurations/{configuration}"): Case(ids=same("configuration")),
    ("POST", "/v1/billing_portal/configurations"): Case(
        lambda w: {
            "default_return_url": "http://acme.localhost:8000/",
            "features": {"invoice_history": {"enabled": True}},
        }
    ),
    ("POST", "/v1/subscriptions"): Case(
        lambda w: {
            "customer": w["customer"],
            "items": [{"price": w["yearly_price"]}],
            "default_payment_method": w["payment_method"],
            "payment_behavior": "allow_incomplete",
        }
    ),
    ("GET", "/v1/subscriptions/{subscription}"): Case(
        lambda w: {"expand": ["latest_invoice", "items.data.price.product"]}, same("subscription")
    ),
    ("POST", "/v1/subscriptions/{subscription}"): Case(
        lambda w: {"cancel_at_period_end": True, "metadata": {"plan": "pro"}}, same("subscription")
    ),
    ("DELETE", "/v1/subscriptions/{subscription}"): Case(ids=same("subscription")),
    ("POST", "/v1/subscriptions/{subscription}/resume"): Case(ids=same("subscription"), status=400),
    ("GET", "/v1/subscriptions"): Case(
        lambda w: {"customer": w["customer"], "status": "all", "expand": ["data.customer"]}
    ),
    ("GET", "/v1/subscription_items"): Case(lambda w: {"subscription": w["subscription"]}),
    ("GET", "/v1/subscription_items/{item}"): Case(ids=same("item")),
    ("POST", "/v1/subscription_items/{item}"): Case(
        lambda w: {"quantity": 2, "proration_behavior": "none"}, same("item")
    ),
    ("POST", "/v1/subscription_items"): Case(
        lambda w: {"subscription": w["subscription"], "price": w["price"], "quantity": 1}
    ),
    # Stripe never deletes a subscription's last item: the valid request is refused for that.
    ("DELETE", "/v1/subscription_items/{item}"): Case(ids=same("item"), status=400),
    ("POST", "/v1/subscription_schedules"): Case(
        lambda w: {"from_subscription": w["subscription"]}
    ),
    ("GET", "/v1/subscription_schedules/{schedule}"): Case(ids=same("schedule")),
    ("POST", "/v1/subscription_schedules/{schedule}"): Case(
        lambda w: {"end_behavior": "release", "metadata": {"change": "downgrade"}},
        same("schedule"),
    ),
    ("POST", "/v1/subscription_schedules/{schedule}/release"): Case(ids=same("schedule")),
    ("POST", "/v1/subscription_schedules/{schedule}/cancel"): Case(ids=same("schedule")),
    ("GET", "/v1/subscription_schedules"): Case(lambda w: {"customer": w["customer"], **PAGE}),
    ("POST", "/v1/invoices"): Case(
        lambda w: {
            "customer": w["customer"],
            "auto_advance": False,
            "collection_method": "charge_automatically",
            "pending_invoice_items_behavior": "exclude",
            "metadata": {"kind": "one-off"},
        }
    ),
    ("POST", "/v1/invoices/{invoice}/finalize"): Case(
        lambda w: {"auto_advance": False}, lambda w: {"invoice": w["draft_invoice"]}
    ),
    ("GET", "/v1/invoices/{invoice}"): Case(ids=same("invoice")),
    ("GET", "/v1/invoices"): Case(lambda w: {"customer": w["customer"], "status": "paid"}),
    ("GET", "/v1/invoices/{invoice}/lines"): Case(ids=same("invoice")),
    ("POST", "/v1/invoices/{invoice}/pay"): Case(
        lambda w: {"payment_method": "pm_card_visa"}, lambda w: {"invoice": w["open_invoice"]}
    ),
    ("POST", "/v1/invoices/{invoice}/void"): Case(ids=lambda w: {"invoice": w["voidable_invoice"]}),
    ("POST", "/v1/invoices/create_preview"): Case(
        lambda w: {
            "customer": w["customer"],
            "subscription": w["subscription"],
            "subscription_details": {
                "items": [{"id": w["item"], "price": w["yearly_price"]}],
                "proration_behavior": "create_prorations",
            },
        }
    ),
    ("GET", "/v1/account"): Case(),
    ("GET", "/v1/accounts"): Case(),
    ("GET", "/v1/accounts/{account}"): Case(ids=same("account")),
    ("POST", "/v1/customers"): Case(
        lambda w: {
            "email": "jenny@example.com",
            "name": "Jenny",
            "metadata": {"tenant": "acme"},
            "tax_id_data": [{"type": "gb_vat", "value": "GB123456789"}],
        }
    ),
    ("GET", "/v1/customers/{customer}"): Case(
        lambda w: {"expand": ["sources", "subscriptions", "tax", "tax_ids"]}, same("customer")
    ),
    ("POST", "/v1/customers/{customer}"): Case(
        lambda w: {"balance": -500, "preferred_locales": ["de"]}, same("customer")
    ),
    ("DELETE", "/v1/customers/{customer}"): Case(ids=same("customer")),
    ("GET", "/v1/customers"): Case(lambda w: {"email": "jenny.rosen@example.com", **PAGE}),
    ("GET", "/v1/customers/{customer}/sources"): Case(
        lambda w: {"object": "card"}, same("customer")
    ),
    ("GET", "/v1/customers/{customer}/payment_methods"): Case(
        lambda w: {"type": "card"}, same("customer")
    ),
    ("POST", "/v1/customers/{customer}/tax_ids"): Case(
        lambda w: {"type": "us_ein", "value": "12-3456789"}, same("customer")
    ),
    ("GET", "/v1/customers/{customer}/tax_ids"): Case(lambda w: PAGE, same("customer")),
    ("GET", "/v1/customers/{customer}/tax_ids/{tax_id}"): Case(ids=same("customer", "tax_id")),
    ("GET", "/v1/tax_rates/{tax_rate}"): Case(ids=same("tax_rate")),
    ("DELETE", "/v1/customers/{customer}/tax_ids/{tax_id}"): Case(
        ids=lambda w: {"customer": w["customer"], "tax_id": w["deletable_tax_id"]}
    ),
    ("POST", "/v1/products"): Case(lambda w: {"name": "Add-on", "type": "service"}),
    ("GET", "/v1/products/{product}"): Case(ids=same("product")),
    ("POST", "/v1/products/{product}"): Case(
        lambda w: {"description": "The Pro plan"}, same("product")
    ),
    ("DELETE", "/v1/products/{product}"): Case(ids=lambda w: {"product": w["bare_product"]}),
    ("GET", "/v1/products"): Case(lambda w: {"active": True, **PAGE}),
    ("POST", "/v1/prices"): Case(
        lambda w: {
            "product": w["product"],
            "currency": "usd",
            "unit_amount": 5900,
            "recurring": {"interval": "month"},
        }
    ),
    ("GET", "/v1/prices/{price}"): Case(lambda w: {"expand": ["product"]}, same("price")),
    ("POST", "/v1/prices/{price}"): Case(lambda w: {"nickname": "Pro monthly"}, same("price")),
    ("GET", "/v1/prices"): Case(lambda w: {"lookup_keys": ["pro_monthly"], "active": True}),
    ("POST", "/v1/billing/meters"): Case(
        lambda w: {
            "display_name": "API calls",
            "event_name": "api_calls",
            "default_aggregation": {"formula": "sum"},
            "customer_mapping": {"event_payload_key": "stripe_customer_id", "type": "by_id"},
            "value_settings": {"event_payload_key": "value"},
        }
    ),
    ("GET", "/v1/billing/meters/{id}"): Case(ids=lambda w: {"id": w["meter"]}),
    ("GET", "/v1/billing/meters"): Case(lambda w: {"status": "active", **PAGE}),
    ("POST", "/v1/billing/meters/{id}/deactivate"): Case(
        ids=lambda w: {"id": w["deactivatable_meter"]}
    ),
    ("POST", "/v1/billing/meters/{id}/reactivate"): Case(ids=lambda w: {"id": w["inactive_meter"]}),
    ("POST", "/v1/billing/meter_events"): Case(
        lambda w: {
            "event_name": "conformance_usage",
            "payload": {"stripe_customer_id": w["customer"], "value": "3"},
            "identifier": "conformance-1",
        }
    ),
    ("GET", "/v1/billing/meters/{id}/event_summaries"): Case(
        lambda w: {
            "customer": w["customer"],
            "start_time": 1_767_225_600,
            "end_time": 1_767_312_000,
        },
        ids=lambda w: {"id": w["meter"]},
    ),
    ("POST", "/v1/coupons"): Case(
        lambda w: {
            "amount_off": 500,
            "currency": "usd",
            "duration": "once",
            "name": "Five off",
            "metadata": {"campaign": "spring"},
        }
    ),
    ("GET", "/v1/coupons/{coupon}"): Case(ids=same("coupon")),
    ("POST", "/v1/coupons/{coupon}"): Case(lambda w: {"name": "Welcome"}, same("coupon")),
    ("DELETE", "/v1/coupons/{coupon}"): Case(ids=lambda w: {"coupon": w["deletable_coupon"]}),
    ("GET", "/v1/coupons"): Case(lambda w: PAGE),
    ("POST", "/v1/promotion_codes"): Case(
        lambda w: {
            "promotion": {"type": "coupon", "coupon": w["coupon"]},
            "code": "FIRSTONLY",
            "max_redemptions": 10,
            "restrictions": {"first_time_transaction": True},
        }
    ),
    ("GET", "/v1/promotion_codes/{promotion_code}"): Case(
        lambda w: {"expand": ["promotion.coupon"]}, same("promotion_code")
    ),
    ("POST", "/v1/promotion_codes/{promotion_code}"): Case(
        lambda w: {"active": False, "metadata": {"paused": "yes"}}, same("promotion_code")
    ),
    ("GET", "/v1/promotion_codes"): Case(lambda w: {"code": "welcome20", "active": True}),
    ("POST", "/v1/entitlements/features"): Case(lambda w: {"name": "API", "lookup_key": "api"}),
    ("GET", "/v1/entitlements/features"): Case(),
    ("GET", "/v1/entitlements/features/{feature}"): Case(ids=same("feature")),
    ("POST", "/v1/products/{product}/features"): Case(
        lambda w: {"entitlement_feature": w["feature"]}, same("product")
    ),
    ("GET", "/v1/products/{product}/features"): Case(ids=same("product")),
    ("POST", "/v1/payment_methods"): Case(
        lambda w: {"type": "card", "card": {"token": "tok_visa"}}
    ),
    ("GET", "/v1/payment_methods/{payment_method}"): Case(ids=same("payment_method")),
    ("POST", "/v1/payment_methods/{payment_method}/attach"): Case(
        lambda w: {"customer": w["customer"]}, lambda w: {"payment_method": w["card"]}
    ),
    ("POST", "/v1/payment_methods/{payment_method}/detach"): Case(ids=same("payment_method")),
    ("GET", "/v1/payment_methods"): Case(lambda w: {"customer": w["customer"], "type": "card"}),
    ("GET", "/v1/charges/{charge}"): Case(ids=same("charge")),
    ("GET", "/v1/charges"): Case(lambda w: {"customer": w["customer"]}),
    ("GET", "/v1/events/{event}"): Case(ids=same("event")),
    ("GET", "/v1/events"): Case(lambda w: {"types": ["invoice.paid"], **PAGE}),
    ("POST", "/v1/webhook_endpoints"): Case(
        lambda w: {"url": "http://127.0.0.1:9/other", "enabled_events": ["*"]}
    ),
    ("GET", "/v1/webhook_endpoints/{webhook_endpoint}"): Case(ids=same("webhook_endpoint")),
    ("POST", "/v1/webhook_endpoints/{webhook_endpoint}"): Case(
        lambda w: {"disabled": True}, same("webhook_endpoint")
    ),
    ("DELETE", "/v1/webhook_endpoints/{webhook_endpoint}"): Case(ids=same("webhook_endpoint")),
    ("GET", "/v1/webhook_endpoints"): Case(),
    ("POST", "/v1/test_helpers/test_clocks"): Case(lambda w: {"frozen_time": 1_767_225_600}),
    ("GET", "/v1/test_helpers/test_clocks/{test_clock}"): Case(ids=same("test_clock")),
    ("GET", "/v1/test_helpers/test_clocks"): Case(),
    ("DELETE", "/v1/test_helpers/test_clocks/{test_clock}"): Case(ids=same("test_clock")),
    ("POST", "/v1/test_helpers/test_clocks/{test_clock}/advance"): Case(
        lambda w: {"frozen_time": 1_767_312_000}, same("test_clock")
    ),
}


# -- refused requests, chosen from each route's parameter types -----------------------------


@dataclass(frozen=True)
class Refusal:
    params: dict[str, Any]
    param: str
    code: str | None
    message: str


def _kind(kind: ParamType) -> str | None:
    if kind.enum or "any" in kind.scalars or "string" in kind.scalars:
        return None
    for scalar in ("integer", "boolean"):
        if scalar in kind.scalars:
            return scalar
    if kind.fields is not None or kind.values is not None:
        return "object"
    if kind.items is not None:
        return "array"
    return None


WRONG_VALUES = {
    "integer": ("abc", "parameter_invalid_integer", "Invalid integer: abc"),
    "boolean": ("maybe", None, "Invalid boolean: maybe"),
    "object": ("abc", None, "Invalid object"),
    "array": ("abc", None, "Invalid array"),
}


def wrong_type(method: str, pattern: str) -> Refusal | None:
    """A simulated parameter given a value of the wrong type, the stricter types first."""
    fields = fields_of(endpoint(method, pattern).params)
    coverage = Coverage(SIMULATED[(method, pattern)])
    chosen = [
        (list(WRONG_VALUES).index(kind), name, kind)
        for name, field in fields.items()
        if (kind := _kind(field.type)) and (coverage.covers(name) or coverage.leads_into(name))
    ]
    if not chosen:
        return None
    _, name, kind = min(chosen)
    value, code, message = WRONG_VALUES[kind]
    return Refusal({name: value}, name, code, message)


def _one_of(values: tuple[str, ...]) -> str:
    if len(values) <= 2:
        return " or ".join(values)
    return ", ".join(values[:-1]) + f", or {values[-1]}"


def bad_enum(method: str, pattern: str) -> Refusal | None:
    """A simulated enum parameter, at any depth, given a value outside it."""
    coverage = Coverage(SIMULATED[(method, pattern)])

    def search(fields: dict, path: str, param: str) -> Refusal | None:
        for name, field in sorted(fields.items()):
            here = f"{path}.{name}" if path else name
            shown = f"{param}[{name}]" if param else name
            if not (coverage.covers(here) or coverage.leads_into(here)):
                continue
            kind = field.type.items or field.type
            if field.type.items is not None:
                shown += "[0]"
            if kind.enum and not kind.scalars:
                message = f"Invalid {shown}: must be one of {_one_of(kind.enum)}"
                value: Any = ["bogus"] if field.type.items is not None else "bogus"
                return Refusal({name: value}, shown, None, message)
            if kind.fields is not None:
                found = search(fields_of(kind.fields), here, shown)
                if found is not None:
                    inner = [found.params] if field.type.items is not None else found.params
                    return Refusal({name: inner}, found.param, None, found.message)
        return None

    return search(fields_of(endpoint(method, pattern).params), "", "")


VALID_SCALARS = {"boolean": "true", "decimal": "1.5", "integer": "1", "string": "x"}


def not_simulated(method: str, pattern: str) -> Refusal | None:
    """A top-level parameter Stripe accepts that the route does not simulate, with a value
    Stripe would take."""
    coverage = Coverage(SIMULATED[(method, pattern)])
    for name, field in sorted(fields_of(endpoint(method, pattern).params).items()):
        if coverage.covers(name) or coverage.leads_into(name):
            continue
        kind = field.type
        readable = [VALID_SCALARS[s] for s in sorted(kind.scalars) if s in VALID_SCALARS]
        value = kind.enum[0] if kind.enum else next(iter(readable), None)
        if value is not None:
            message = f"Received parameter {name}, which Stripe accepts but which is not simulated."
            return Refusal({name: value}, name, "parameter_unknown", message)
    return None

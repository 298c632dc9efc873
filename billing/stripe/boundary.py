"""The one boundary to Stripe's API: every call of the stripe library is here.

Each call passes the configured key and an idempotency key where a retry could double a write,
and every `stripe.StripeError` becomes a billing error that the API and the pages answer.
"""

import logging
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from billing.exceptions import (
    PaymentDeclined,
    StripeRequestRejected,
    StripeUnavailable,
    TaxIdInvalid,
)
from billing.stripe import pacing

logger = logging.getLogger(__name__)

UNAVAILABLE = gettext_lazy(
    "Payments are unavailable right now; nothing was changed. Please try again shortly."
)

# Work no user waits for (webhook processing, reconciliation) calls Stripe inside this: paced to
# its share of Stripe's rate limit, patient with Stripe's 429s.
background_calls = pacing.background


def configure() -> None:
    """Bound how long a request path can wait on Stripe (the library waits 80 s by default), and
    pace every call (pacing.py)."""
    stripe.default_http_client = pacing.PacedHttpClient(timeout=settings.STRIPE_TIMEOUT_SECONDS)
    stripe.max_network_retries = settings.STRIPE_MAX_NETWORK_RETRIES


@contextmanager
def stripe_errors() -> Iterator[None]:
    try:
        yield
    except stripe.CardError as error:
        raise PaymentDeclined(
            error.user_message or gettext("The card was declined."),
            extra={"stripe_code": error.code or "card_declined"},
        ) from error
    except stripe.InvalidRequestError as error:
        logger.warning("Stripe refused a request: %s", error)
        raise StripeRequestRejected(
            error.user_message or gettext("Stripe refused the request.")
        ) from error
    except stripe.StripeError as error:
        logger.warning("Stripe is unavailable: %r", error)
        raise StripeUnavailable(str(UNAVAILABLE)) from error


def synced(model, stripe_object):
    """dj-stripe's copy of an object Stripe answered, stored: dj-stripe may ask Stripe for
    related objects it does not have yet."""
    with stripe_errors():
        return model.sync_from_stripe_data(stripe_object)


def _key() -> dict[str, str]:
    return {"api_key": settings.STRIPE_SECRET_KEY}


@contextmanager
def tax_id_errors() -> Iterator[None]:
    """Stripe's refusal of a tax ID's value is the user's to correct, not an outage."""
    try:
        yield
    except stripe.InvalidRequestError as error:
        if error.code != "tax_id_invalid":
            raise
        raise TaxIdInvalid(error.user_message or "Stripe refused this tax ID.") from error


@cache
def tax_id_types() -> tuple[str, ...]:
    """The types of tax ID Stripe takes (`eu_vat`, `gb_vat`, `us_ein`, …), as the stripe
    library's spec of its API lists them. A local read: it calls nothing."""
    annotation = stripe.params.CustomerCreateTaxIdParams.__annotations__["type"]
    listed = next(
        member
        for member in typing.get_args(annotation)
        if typing.get_origin(member) is typing.Literal
    )
    return typing.get_args(listed)


def customer_create(
    *,
    email: str | None,
    name: str,
    metadata: dict[str, str],
    idempotency_key: str,
    address: dict[str, str] | None = None,
    tax_id: dict[str, str] | None = None,
):
    """A customer; without an ``email`` it has none (Stripe refuses an empty one), without an
    ``address`` or a ``tax_id`` neither."""
    extra: dict[str, Any] = {}
    if address:
        extra["address"] = address
    if tax_id:
        extra["tax_id_data"] = [tax_id]
    with stripe_errors(), tax_id_errors():
        return stripe.Customer.create(
            email=email,
            name=name,
            metadata=metadata,
            idempotency_key=idempotency_key,
            **extra,
            **_key(),
        )


def customer_modify(
    *, customer_id: str, name: str, email: str | None, address: dict[str, str] | None
):
    """The customer's name, email and address set to these: no ``address`` unsets it, no
    ``email`` keeps the one it has (Stripe cannot unset an email)."""
    contact: dict[str, Any] = {"email": email} if email else {}
    with stripe_errors():
        return stripe.Customer.modify(
            customer_id,
            name=name,
            address=address or "",  # an empty string unsets it
            **contact,
            **_key(),
        )


def customer_tax_ids(*, customer_id: str) -> list:
    with stripe_errors():
        listing = stripe.Customer.list_tax_ids(customer_id, limit=100, **_key())
        return list(listing.auto_paging_iter())


def customer_tax_id_create(*, customer_id: str, tax_type: str, value: str):
    with stripe_errors(), tax_id_errors():
        return stripe.Customer.create_tax_id(customer_id, type=tax_type, value=value, **_key())


def customer_tax_id_delete(*, customer_id: str, tax_id: str):
    with stripe_errors():
        return stripe.Customer.delete_tax_id(customer_id, tax_id, **_key())


def checkout_session_create(
    *,
    customer_id: str,
    price_id: str,
    success_url: str,
    cancel_url: str,
    client_reference_id: str,
    metadata: dict[str, str],
    currency: str = "usd",
    collect_address: bool = False,
    collect_tax_id: bool = False,
):
    """A subscription checkout in `currency` with Stripe Tax on; it asks for the billing
    address and a tax ID when told to, and saves them onto the customer (Stripe requires
    `customer_update` for that)."""
    collection: dict[str, Any] = {}
    if collect_address:
        collection["billing_address_collection"] = "required"
    if collect_tax_id:
        collection["tax_id_collection"] = {"enabled": True}
    if collection:
        collection["customer_update"] = {"address": "auto", "name": "auto"}
    with stripe_errors():
        return stripe.checkout.Session.create(
            mode="subscription",
            customer=customer_id,
            client_reference_id=client_reference_id,
            line_items=[{"price": price_id, "quantity": 1}],
            success_url=success_url,
            cancel_url=cancel_url,
            metadata=metadata,
            subscription_data={"metadata": metadata},
            currency=currency,
            automatic_tax={"enabled": True},
            allow_promotion_codes=True,
            **collection,
            **_key(),
        )


def subscription_trial_create(
    *,
    customer_id: str,
    price_id: str,
    trial_days: int,
    metadata: dict[str, str],
    key: str,
    currency: str = "usd",
    automatic_tax: bool = False,
):
    """A subscription that starts with a trial and no payment method: if none is added by the
    trial's end, Stripe cancels it; a method that pays an invoice stays the subscription's.
    It is in `currency`, with Stripe Tax on when the customer's address places it."""
    with stripe_errors():
        return stripe.Subscription.create(
            customer=customer_id,
            items=[{"price": price_id}],
            currency=currency,
            automatic_tax={"enabled": automatic_tax},
            trial_period_days=trial_days,
            trial_settings={"end_behavior": {"missing_payment_method": "cancel"}},
            payment_settings={"save_default_payment_method": "on_subscription"},
            metadata=metadata,
            idempotency_key=key,
            **_key(),
        )


def billing_portal_session_create(*, customer_id: str, return_url: str):
    with stripe_errors():
        return stripe.billing_portal.Session.create(
            customer=customer_id, return_url=return_url, **_key()
        )


def subscription_retrieve(*, subscription_id: str):
    with stripe_errors():
        return stripe.Subscription.retrieve(subscription_id, **_key())


def customer_retrieve(*, customer_id: str):
    with stripe_errors():
        return stripe.Customer.retrieve(customer_id, **_key())


def subscriptions_of(*, customer_id: str) -> list:
    """Every subscription of the customer, ended ones included."""
    with stripe_errors():
        listing = stripe.Subscription.list(customer=customer_id, status="all", limit=100, **_key())
        return list(listing.auto_paging_iter())


# dj-stripe syncs an invoice's discounts from their objects: they come expanded.
INVOICE_EXPAND = ["discounts", "lines.data.discounts"]


def invoice_retrieve(*, invoice_id: str):
    with stripe_errors():
        return stripe.Invoice.retrieve(invoice_id, expand=INVOICE_EXPAND, **_key())


def invoices_of(*, customer_id: str, limit: int = 24) -> list:
    """The customer's newest invoices."""
    expand = [f"data.{path}" for path in INVOICE_EXPAND]
    with stripe_errors():
        listing = stripe.Invoice.list(customer=customer_id, limit=limit, expand=expand, **_key())
        return list(listing.data)


def subscription_modify(*, subscription_id: str, **changes: Any):
    with stripe_errors():
        return stripe.Subscription.modify(subscription_id, **changes, **_key())


def invoice_preview(
    *,
    customer_id: str,
    subscription_id: str,
    items: list[dict],
    proration_date: int | None = None,
    proration_behavior: str = "create_prorations",
):
    """The invoice a change of the subscription's items would make: at once for
    `always_invoice` (or a new interval), else the next one. Without a `proration_date`, Stripe
    prorates as of its own now, which the answer names (`subscription_proration_date`)."""
    details: dict[str, Any] = {"items": items, "proration_behavior": proration_behavior}
    if proration_date is not None:
        details["proration_date"] = proration_date
    with stripe_errors():
        return stripe.Invoice.create_preview(
            customer=customer_id,
            subscription=subscription_id,
            subscription_details=details,
            **_key(),
        )


def subscription_schedule_create(*, subscription_id: str):
    """A schedule made from the subscription: its one phase is the current period."""
    with stripe_errors():
        return stripe.SubscriptionSchedule.create(from_subscription=subscription_id, **_key())


def subscription_schedule_retrieve(*, schedule_id: str):
    with stripe_errors():
        return stripe.SubscriptionSchedule.retrieve(schedule_id, **_key())


def subscription_schedule_modify(*, schedule_id: str, phases: list[dict], end_behavior: str):
    with stripe_errors():
        return stripe.SubscriptionSchedule.modify(
            schedule_id, phases=phases, end_behavior=end_behavior, **_key()
        )


def subscription_schedule_release(*, schedule_id: str):
    """The schedule lets go of its subscription, which goes on as it is now."""
    with stripe_errors():
        return stripe.SubscriptionSchedule.release(schedule_id, **_key())


def products_list():
    with stripe_errors():
        return list(stripe.Product.list(limit=100, **_key()).auto_paging_iter())


def product_create(**fields: Any):
    with stripe_errors():
        return stripe.Product.create(**fields, **_key())


def product_modify(product_id: str, **fields: Any):
    with stripe_errors():
        return stripe.Product.modify(product_id, **fields, **_key())


def prices_by_lookup_key(lookup_keys: list[str]):
    """The active prices holding these lookup keys, each with its `currency_options`."""
    with stripe_errors():
        return list(
            stripe.Price.list(
                lookup_keys=lookup_keys,
                active=True,
                limit=100,
                expand=["data.currency_options"],
                **_key(),
            ).data
        )


def price_create(**fields: Any):
    with stripe_errors():
        return stripe.Price.create(**fields, **_key())


# -- Billing meters and usage (billing/overage/)


def meters_list() -> list:
    with stripe_errors():
        return list(stripe.billing.Meter.list(limit=100, **_key()).auto_paging_iter())


def meter_create(**fields: Any):
    with stripe_errors():
        return stripe.billing.Meter.create(**fields, **_key())


def meter_reactivate(meter_id: str):
    with stripe_errors():
        return stripe.billing.Meter.reactivate(meter_id, **_key())


def meter_event_create(
    *, event_name: str, customer_id: str, value: int, identifier: str, timestamp: int
) -> bool:
    """Report `value` of usage for the customer at `timestamp`. False when Stripe already has
    an event with this identifier (a resend after a lost answer): nothing was counted twice."""
    with stripe_errors():
        try:
            stripe.billing.MeterEvent.create(
                event_name=event_name,
                payload={"stripe_customer_id": customer_id, "value": str(value)},
                identifier=identifier,
                timestamp=timestamp,
                **_key(),
            )
        except stripe.InvalidRequestError as error:
            if error.code == "resource_already_exists":
                return False
            raise
    return True


def subscription_item_create(*, subscription_id: str, price_id: str, idempotency_key: str):
    """A metered item added to the subscription: it bills usage at the period's end, so adding
    it prorates nothing."""
    with stripe_errors():
        return stripe.SubscriptionItem.create(
            subscription=subscription_id,
            price=price_id,
            proration_behavior="none",
            idempotency_key=idempotency_key,
            **_key(),
        )


# -- Coupons and promotion codes (billing/promotions/)


def coupons_list() -> list:
    with stripe_errors():
        return list(stripe.Coupon.list(limit=100, **_key()).auto_paging_iter())


def coupon_create(**fields: Any):
    with stripe_errors():
        return stripe.Coupon.create(**fields, **_key())


def coupon_modify(coupon_id: str, **fields: Any):
    with stripe_errors():
        return stripe.Coupon.modify(coupon_id, **fields, **_key())


def coupon_delete(coupon_id: str):
    with stripe_errors():
        return stripe.Coupon.delete(coupon_id, **_key())


def promotion_codes_list(*, code: str) -> list:
    with stripe_errors():
        listing = stripe.PromotionCode.list(code=code, limit=100, **_key())
        return list(listing.auto_paging_iter())


def promotion_code_retrieve(promotion_code_id: str):
    with stripe_errors():
        return stripe.PromotionCode.retrieve(promotion_code_id, **_key())


def promotion_code_create(**fields: Any):
    with stripe_errors():
        return stripe.PromotionCode.create(**fields, **_key())


def promotion_code_modify(promotion_code_id: str, **fields: Any):
    with stripe_errors():
        return stripe.PromotionCode.modify(promotion_code_id, **fields, **_key())


def as_stripe_object(data: dict[str, Any]):
    """An object of Stripe's JSON (an event's body) as the library's objects, which dj-stripe
    syncs. A local conversion: it calls nothing."""
    return stripe.convert_to_stripe_object(data, api_key=settings.STRIPE_SECRET_KEY)


def webhook_signature_valid(
    *, payload: str, signature: str | None, secret: str, tolerance: int
) -> bool:
    """Whether `signature` (a Stripe-Signature header) signs `payload` with the endpoint's
    `secret`, no older than `tolerance` seconds. A local check: it calls nothing."""
    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance)
    except stripe.SignatureVerificationError:
        return False
    return True


def webhook_endpoints_list():
    with stripe_errors():
        return list(stripe.WebhookEndpoint.list(limit=100, **_key()).auto_paging_iter())


def webhook_endpoint_create(*, url: str, enabled_events: list[str], metadata: dict[str, str]):
    with stripe_errors():
        return stripe.WebhookEndpoint.create(
            url=url, enabled_events=enabled_events, metadata=metadata, **_key()
        )


def webhook_endpoint_events_set(endpoint_id: str, *, enabled_events: list[str]):
    with stripe_errors():
        return stripe.WebhookEndpoint.modify(endpoint_id, enabled_events=enabled_events, **_key())


def webhook_endpoint_delete(endpoint_id: str):
    with stripe_errors():
        return stripe.WebhookEndpoint.delete(endpoint_id, **_key())


# -- The demo's history (seed_demo, development only): a customer on a test clock, so that its
# subscription can have renewed before the demo starts.


def demo_test_clock_create(*, frozen_time: int, name: str):
    with stripe_errors():
        return stripe.test_helpers.TestClock.create(frozen_time=frozen_time, name=name, **_key())


def demo_test_clock_advance(*, clock_id: str, frozen_time: int):
    with stripe_errors():
        return stripe.test_helpers.TestClock.advance(clock_id, frozen_time=frozen_time, **_key())


def demo_customer_create(*, test_clock: str, payment_method: str, **fields: Any):
    with stripe_errors():
        customer = stripe.Customer.create(test_clock=test_clock, **fields, **_key())
        stripe.PaymentMethod.attach(payment_method, customer=customer.id, **_key())
        return stripe.Customer.modify(
            customer.id, invoice_settings={"default_payment_method": payment_method}, **_key()
        )


def demo_subscription_create(*, customer_id: str, price_id: str, metadata: dict[str, str]):
    with stripe_errors():
        return stripe.Subscription.create(
            customer=customer_id, items=[{"price": price_id}], metadata=metadata, **_key()
        )


def demo_test_clock_retrieve(*, clock_id: str):
    with stripe_errors():
        return stripe.test_helpers.TestClock.retrieve(clock_id, **_key())

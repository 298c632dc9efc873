"""Reading a Stripe subscription (as dj-stripe stores it) in one place.

dj-stripe keeps most of Stripe's fields in a `stripe_data` JSON column, and some of its
properties still read keys the current API moved (a subscription's period now lives on its
items). Everything the product needs from a subscription is read here, from Stripe's own shape.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import BigIntegerField, DateTimeField, Func
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from billing.overage.rules import is_overage_lookup_key
from billing.plans import FREE, Interval, Plan, plan_and_interval_for_lookup_key


def _timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _id(value: Any) -> str | None:
    """An expandable field: either the id itself or the expanded object."""
    if isinstance(value, Mapping):
        return value.get("id")
    return value


@dataclass(frozen=True)
class SubscriptionFacts:
    id: str
    customer_id: str
    status: str
    plan: Plan
    interval: Interval | None
    item_id: str | None
    price_id: str | None
    period_start: datetime | None
    period_end: datetime | None
    cancel_at_period_end: bool
    created: datetime | None
    latest_invoice_id: str | None
    schedule_id: str | None = None
    currency: str = "usd"  # what its invoices charge in: one of its prices' currency options
    overage_item_id: str | None = None  # the metered item billing extra shipments, if any
    overage_price_id: str | None = None

    @classmethod
    def from_stripe_data(cls, data: Mapping[str, Any]) -> "SubscriptionFacts":
        items = (data.get("items") or {}).get("data") or []
        # The plan's item: the first whose price is a plan's (a metered overage item may follow).
        item = next(
            (
                i
                for i in items
                if plan_and_interval_for_lookup_key((i.get("price") or {}).get("lookup_key") or "")
            ),
            items[0] if items else {},
        )
        price = item.get("price") or {}
        overage = next(
            (i for i in items if is_overage_lookup_key((i.get("price") or {}).get("lookup_key"))),
            {},
        )
        known = plan_and_interval_for_lookup_key(price.get("lookup_key") or "")
        plan, interval = known if known else (FREE, None)
        # The current API keeps the period on each item; older versions kept it on the subscription.
        period_start = item.get("current_period_start") or data.get("current_period_start")
        period_end = item.get("current_period_end") or data.get("current_period_end")
        return cls(
            id=data["id"],
            customer_id=_id(data.get("customer")) or "",
            status=data.get("status") or "",
            plan=plan,
            interval=interval,
            item_id=item.get("id"),
            price_id=price.get("id"),
            period_start=_timestamp(period_start),
            period_end=_timestamp(period_end),
            cancel_at_period_end=bool(data.get("cancel_at_period_end")),
            created=_timestamp(data.get("created")),
            latest_invoice_id=_id(data.get("latest_invoice")),
            schedule_id=_id(data.get("schedule")),
            currency=data.get("currency") or "usd",
            overage_item_id=overage.get("id"),
            overage_price_id=(overage.get("price") or {}).get("id"),
        )


def subscription_ended_at() -> Func:
    """When a stored subscription ended (Stripe's `ended_at`), as a database expression: for
    counting many subscriptions without loading them. NULL while it runs."""
    return Func(
        Cast(KeyTextTransform("ended_at", "stripe_data"), BigIntegerField()),
        function="TO_TIMESTAMP",
        output_field=DateTimeField(),
    )


def invoice_subscription_id(invoice_data: Mapping[str, Any]) -> str | None:
    """The subscription an invoice bills (current API: under `parent`)."""
    parent = invoice_data.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return _id(details.get("subscription")) or _id(invoice_data.get("subscription"))

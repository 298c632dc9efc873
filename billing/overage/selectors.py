"""Reads of overage: the tenant's choice, this period's extra shipments and what they will cost."""

from dataclasses import dataclass
from datetime import UTC, datetime

from babel.dates import format_date
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext
from djstripe.models import Price

from billing.currencies.selectors import tenant_currency_get
from billing.exceptions import PlanNotAvailable
from billing.models import Entitlement, UsageCounter
from billing.overage.models import OverageEvent
from billing.overage.rules import (
    OVERAGE_PLANS,
    OVERAGE_RESOURCE,
    overage_available,
    overage_lookup_key,
    unit_amount,
)
from billing.plans import Currency, Interval, Plan
from billing.selectors import entitlement_get, usage_period
from loginexus.i18n.formatting import locale_name
from loginexus.tenancy.models import Tenant


@dataclass(frozen=True)
class OverageState:
    available: bool
    enabled: bool
    cap: int | None
    used: int  # extra shipments this period
    unit_amount: int  # minor units per extra shipment
    currency: Currency

    @property
    def estimated(self) -> int:
        """What this period's extra shipments add to the next invoice, in minor units (tax
        excluded, as prices are)."""
        return self.used * self.unit_amount


def overage_used(*, tenant: Tenant, entitlement: Entitlement, now: datetime) -> int:
    """Shipments counted past the plan's limit in the period of `now`."""
    limit = entitlement.effective_plan(now).limit(OVERAGE_RESOURCE)
    if limit is None:
        return 0
    start, _ = usage_period(entitlement=entitlement, now=now)
    used = (
        UsageCounter.objects.filter(tenant=tenant, resource=OVERAGE_RESOURCE, period_start=start)
        .values_list("used", flat=True)
        .first()
    )
    return max(0, (used or 0) - limit)


def overage_get(*, tenant: Tenant, now: datetime, entitlement: Entitlement | None = None):
    entitlement = entitlement or entitlement_get(tenant=tenant)
    available = overage_available(entitlement=entitlement, now=now)
    currency = tenant_currency_get(tenant=tenant)
    return OverageState(
        available=available,
        enabled=available and entitlement.overage_enabled,
        cap=entitlement.overage_cap,
        used=overage_used(tenant=tenant, entitlement=entitlement, now=now),
        unit_amount=unit_amount(currency),
        currency=currency,
    )


@dataclass(frozen=True)
class OveragePeriod:
    """Extra shipments of one usage period and what they bill (minor units, in `currency`)."""

    period_start: datetime
    quantity: int
    currency: Currency

    @property
    def revenue(self) -> int:
        return self.quantity * unit_amount(self.currency)


def overage_history(*, tenant: Tenant, periods: int = 6) -> list[OveragePeriod]:
    """The tenant's extra shipments per usage period, newest first (for staff)."""
    currency = tenant_currency_get(tenant=tenant)
    rows = (
        OverageEvent.objects.filter(tenant=tenant)
        .values("period_start")
        .annotate(quantity=Count("id"))
        .order_by("-period_start")[:periods]
    )
    return [OveragePeriod(row["period_start"], row["quantity"], currency) for row in rows]


@dataclass(frozen=True)
class OverageMonth:
    """Extra shipments of the periods that began in one calendar month, all tenants, and their
    revenue per currency (minor units)."""

    month: datetime
    quantity: int
    revenue: dict[Currency, int]

    @property
    def label(self) -> str:
        return format_date(self.month, "MMM yyyy", locale=locale_name())


def overage_months(*, months: int = 6, using: str = DEFAULT_DB_ALIAS) -> list[OverageMonth]:
    """Platform overage per month of its usage periods, newest first (for the staff metrics):
    one query for the counts and one read of each billed tenant's currency."""
    rows = list(
        OverageEvent.objects.using(using)
        .annotate(month=TruncMonth("period_start", tzinfo=UTC))
        .values("month", "tenant_id")
        .annotate(quantity=Count("id"))
        .order_by("-month")
    )
    tenants = Tenant.objects.using(using).in_bulk({row["tenant_id"] for row in rows})
    currencies = {pk: tenant_currency_get(tenant=tenant) for pk, tenant in tenants.items()}
    found: dict[datetime, OverageMonth] = {}
    for row in rows:
        if row["month"] not in found:
            if len(found) == months:
                break
            found[row["month"]] = OverageMonth(row["month"], 0, {})
        month, currency = found[row["month"]], currencies[row["tenant_id"]]
        found[row["month"]] = OverageMonth(
            month.month,
            month.quantity + row["quantity"],
            {
                **month.revenue,
                currency: month.revenue.get(currency, 0) + row["quantity"] * unit_amount(currency),
            },
        )
    return list(found.values())


def overage_price_for(*, plan: Plan, interval: Interval, currency: str) -> Price | None:
    """The metered price a subscription on `plan` and `interval` carries for overage: None for
    a plan without overage. Raises PlanNotAvailable while the price is not in Stripe yet."""
    if plan.code not in OVERAGE_PLANS:
        return None
    price = Price.objects.filter(
        lookup_key=overage_lookup_key(interval, currency), active=True
    ).first()
    if price is None:
        raise PlanNotAvailable(gettext("Overage is not available yet; please try again later."))
    return price


def overage_item_changes(*, facts, plan: Plan, interval: Interval) -> list[dict]:
    """What a change to `plan` and `interval` does to the subscription's metered item, as items
    of Stripe's update: none while the interval stays (on a plan without overage it bills
    nothing), else the new interval's price (a subscription's items share one interval), or
    its removal for a plan without overage (its usage so far is billed with the change)."""
    if not facts.overage_item_id or interval == facts.interval:
        return []
    price = overage_price_for(plan=plan, interval=interval, currency=facts.currency)
    if price is None:
        return [{"id": facts.overage_item_id, "deleted": True}]
    return [{"id": facts.overage_item_id, "price": price.id}]

"""Reads of overage: the tenant's choice, this period's extra shipments and what they will cost."""

from dataclasses import dataclass
from datetime import datetime

from billing.currencies.selectors import tenant_currency_get
from billing.models import Entitlement, UsageCounter
from billing.overage.rules import OVERAGE_RESOURCE, overage_available, unit_amount
from billing.plans import Currency
from billing.selectors import entitlement_get, usage_period
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

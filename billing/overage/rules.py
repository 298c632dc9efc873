"""What overage costs and when it applies: read by the limit check, API, pages and Stripe sync."""

from datetime import datetime

from billing.plans import PRO, Currency, Interval, Plan, Resource

# Stripe's meter and the metered prices that bill it.
METER_EVENT_NAME = "shipments_overage"
# Per extra shipment, in minor units: $0.04 / €0.04 / £0.03.
UNIT_AMOUNTS: dict[Currency, int] = {Currency.USD: 4, Currency.EUR: 4, Currency.GBP: 3}
CAP_MIN, CAP_MAX = 1, 100_000
# Overage lets a limited plan grow; Enterprise has no limit to pass, Free no subscription to bill.
OVERAGE_PLANS = (PRO.code,)
OVERAGE_RESOURCE = Resource.SHIPMENTS


def overage_lookup_key(interval: Interval | str, currency: Currency | str) -> str:
    """A metered price per interval (a subscription's items share one) and currency:
    `overage_monthly_eur`, `overage_yearly_usd`."""
    return f"overage_{Interval(interval)}ly_{Currency(currency)}"


def is_overage_lookup_key(lookup_key: str | None) -> bool:
    return bool(lookup_key and lookup_key.startswith("overage_"))


def unit_amount(currency: Currency | str) -> int:
    return UNIT_AMOUNTS[Currency(currency)]


def overage_available(*, entitlement, now: datetime) -> bool:
    """The plan in force is one overage exists for, and it comes from a paid subscription (not a
    trial, not a complimentary plan: neither has an invoice to carry the usage)."""
    plan: Plan = entitlement.effective_plan(now)
    return (
        plan.code in OVERAGE_PLANS
        and entitlement.status in ("active", "past_due")
        and bool(entitlement.stripe_subscription_id)
        and not entitlement.on_comp(now)
    )


def overage_cap_in_force(*, entitlement, resource: Resource, now: datetime) -> int:
    """How many of `resource` may be created past the limit this period (0: none)."""
    if resource != OVERAGE_RESOURCE or not entitlement.overage_enabled:
        return 0
    if not overage_available(entitlement=entitlement, now=now):
        return 0
    return entitlement.overage_cap or 0

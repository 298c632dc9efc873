"""The plans and their limits: defined once, read by pages, API, Stripe sync and enforcement."""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Resource(StrEnum):
    SHIPMENTS = "shipments"
    ESCROWS = "escrows"
    USERS = "users"


class Interval(StrEnum):
    MONTH = "month"
    YEAR = "year"


# Resources counted per billing period; seats (users) are counted as they stand now.
PERIODIC_RESOURCES = (Resource.SHIPMENTS, Resource.ESCROWS)


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    prices: dict[Interval, Decimal]  # USD per interval; empty for the free plan
    limits: dict[Resource, int | None]  # None: unlimited
    rank: int  # orders plans from cheapest to dearest

    @property
    def is_free(self) -> bool:
        return not self.prices

    def limit(self, resource: Resource) -> int | None:
        return self.limits[resource]

    def price(self, interval: Interval) -> Decimal:
        return self.prices.get(interval, Decimal("0"))

    def price_cents(self, interval: Interval) -> int:
        return int(self.price(interval) * 100)

    def lookup_key(self, interval: Interval) -> str:
        return f"{self.code}_{interval}ly"


FREE = Plan(
    code="free",
    name="Free",
    prices={},
    limits={Resource.SHIPMENTS: 50, Resource.ESCROWS: 5, Resource.USERS: 3},
    rank=0,
)
PRO = Plan(
    code="pro",
    name="Pro",
    prices={Interval.MONTH: Decimal("49"), Interval.YEAR: Decimal("490")},
    limits={Resource.SHIPMENTS: 2000, Resource.ESCROWS: 200, Resource.USERS: 25},
    rank=1,
)
ENTERPRISE = Plan(
    code="enterprise",
    name="Enterprise",
    prices={Interval.MONTH: Decimal("199"), Interval.YEAR: Decimal("1990")},
    limits={Resource.SHIPMENTS: None, Resource.ESCROWS: None, Resource.USERS: None},
    rank=2,
)

PLANS: dict[str, Plan] = {plan.code: plan for plan in (FREE, PRO, ENTERPRISE)}
PAID_PLANS = tuple(plan for plan in PLANS.values() if not plan.is_free)
PLAN_CHOICES = [(plan.code, plan.name) for plan in PLANS.values()]
CURRENCY = "usd"


def plan_by_code(code: str) -> Plan:
    return PLANS[code]


def plan_and_interval_for_lookup_key(lookup_key: str) -> tuple[Plan, Interval] | None:
    """The plan and interval a Stripe price's lookup key names, or None for a foreign price."""
    for plan in PAID_PLANS:
        for interval in plan.prices:
            if plan.lookup_key(interval) == lookup_key:
                return plan, interval
    return None

"""The plans and their limits: defined once, read by pages, API, Stripe sync and enforcement."""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from loginexus.i18n.formatting import number


class Resource(StrEnum):
    SHIPMENTS = "shipments"
    ESCROWS = "escrows"
    USERS = "users"


class Interval(StrEnum):
    MONTH = "month"
    YEAR = "year"


class Currency(StrEnum):
    """The currencies every paid price exists in (Stripe's `currency_options`); USD is the
    price's own currency, the others its options."""

    USD = "usd"
    EUR = "eur"
    GBP = "gbp"


# Resources counted per billing period; seats (users) are counted as they stand now.
PERIODIC_RESOURCES = (Resource.SHIPMENTS, Resource.ESCROWS)


@dataclass(frozen=True)
class Plan:
    code: str
    name: str | Promise  # translated lazily: read it where a language is active
    prices: dict[Interval, Decimal]  # USD per interval; empty for the free plan
    # Minor units per interval and currency (Pro a month: $49, €45, £39); empty for Free.
    amounts: dict[Interval, dict[Currency, int]]
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

    def amount(self, interval: Interval, currency: Currency | str) -> int:
        """The price per interval in `currency`, in minor units (0 on the free plan)."""
        return self.amounts.get(interval, {}).get(Currency(currency), 0)

    def allowances(self) -> list[str]:
        """What the plan allows, a line per resource, in the active language."""
        return [plan_allowance(resource, limit) for resource, limit in self.limits.items()]

    def lookup_key(self, interval: Interval) -> str:
        return f"{self.code}_{interval}ly"


FREE = Plan(
    code="free",
    name=_("Free"),
    prices={},
    amounts={},
    limits={Resource.SHIPMENTS: 50, Resource.ESCROWS: 5, Resource.USERS: 3},
    rank=0,
)
PRO = Plan(
    code="pro",
    name=_("Pro"),
    prices={Interval.MONTH: Decimal("49"), Interval.YEAR: Decimal("490")},
    amounts={
        Interval.MONTH: {Currency.USD: 4900, Currency.EUR: 4500, Currency.GBP: 3900},
        Interval.YEAR: {Currency.USD: 49000, Currency.EUR: 45000, Currency.GBP: 39000},
    },
    limits={Resource.SHIPMENTS: 2000, Resource.ESCROWS: 200, Resource.USERS: 25},
    rank=1,
)
ENTERPRISE = Plan(
    code="enterprise",
    name=_("Enterprise"),
    prices={Interval.MONTH: Decimal("199"), Interval.YEAR: Decimal("1990")},
    amounts={
        Interval.MONTH: {Currency.USD: 19900, Currency.EUR: 18500, Currency.GBP: 15900},
        Interval.YEAR: {Currency.USD: 199000, Currency.EUR: 185000, Currency.GBP: 159000},
    },
    limits={Resource.SHIPMENTS: None, Resource.ESCROWS: None, Resource.USERS: None},
    rank=2,
)

PLANS: dict[str, Plan] = {plan.code: plan for plan in (FREE, PRO, ENTERPRISE)}
PAID_PLANS = tuple(plan for plan in PLANS.values() if not plan.is_free)
PLAN_CHOICES = [(plan.code, plan.name) for plan in PLANS.values()]
CURRENCY = Currency.USD.value  # each price's own currency; EUR and GBP are its options
CURRENCY_CHOICES = [currency.value for currency in Currency]


# What each resource is called on its own (a column, a bar's label) and in a sentence after a
# count ("4 of 5 escrows"); plans allow more than one of each, so the plural reads right.
RESOURCE_LABELS = {
    Resource.SHIPMENTS: _("Shipments"),
    Resource.ESCROWS: _("Escrows"),
    Resource.USERS: _("Users"),
}
RESOURCE_NOUNS = {
    Resource.SHIPMENTS: _("shipments"),
    Resource.ESCROWS: _("escrows"),
    Resource.USERS: _("users"),
}


def plan_allowance(resource: Resource, limit: int | None) -> str:
    """One line of a plan's card: "2,000 shipments a period", "25 users", "Unlimited escrows"."""
    if limit is None:
        return {
            Resource.SHIPMENTS: gettext("Unlimited shipments"),
            Resource.ESCROWS: gettext("Unlimited escrows"),
            Resource.USERS: gettext("Unlimited users"),
        }[resource]
    count = {"count": number(limit)}
    if resource == Resource.SHIPMENTS:
        text = ngettext("%(count)s shipment a period", "%(count)s shipments a period", limit)
    elif resource == Resource.ESCROWS:
        text = ngettext("%(count)s escrow a period", "%(count)s escrows a period", limit)
    else:
        text = ngettext("%(count)s user", "%(count)s users", limit)
    return text % count


def plan_by_code(code: str) -> Plan:
    return PLANS[code]


def plan_and_interval_for_lookup_key(lookup_key: str) -> tuple[Plan, Interval] | None:
    """The plan and interval a Stripe price's lookup key names, or None for a foreign price."""
    for plan in PAID_PLANS:
        for interval in plan.prices:
            if plan.lookup_key(interval) == lookup_key:
                return plan, interval
    return None

"""Platform metrics for staff: revenue, tenants per plan, and tenants won and lost per month."""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.functional import Promise
from django.utils.translation import gettext
from django_tenants.utils import get_public_schema_name
from djstripe.models import Subscription

from billing.models import REVENUE_STATUSES, Entitlement, SubscriptionStatus
from billing.plans import FREE, PLANS, Currency
from billing.stripe.subscriptions import subscription_ended_at
from loginexus.i18n.formatting import locale_name
from loginexus.replica import staff_reads
from loginexus.tenancy.models import Tenant

MONTHS_SHOWN = 12

# A tenant holding a subscription in one of these statuses now has not churned.
STAYING_STATUSES = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.PAST_DUE,
)


@dataclass(frozen=True)
class Revenue:
    """What Stripe subscriptions bring in (USD, other currencies converted at the fixed rates of
    `settings.BILLING_FX_TO_USD`), and how many of them are past due."""

    mrr: Decimal
    past_due: int

    @property
    def arr(self) -> Decimal:
        return self.mrr * 12


@dataclass(frozen=True)
class PlanTenants:
    """The tenants whose plan in force is `plan_name`, on a complimentary plan or not."""

    plan_name: str | Promise
    comp: bool
    tenants: int

    @property
    def label(self) -> str:
        return (
            gettext("%(plan)s (comp)") % {"plan": self.plan_name} if self.comp else self.plan_name
        )


@dataclass(frozen=True)
class MonthMovement:
    """Tenants that signed up and tenants that churned in one calendar month (UTC)."""

    month: date
    new: int
    churned: int

    @property
    def label(self) -> str:
        return format_date(self.month, "MMM yyyy", locale=locale_name())


@dataclass(frozen=True)
class PlatformMetrics:
    revenue: Revenue
    tenants: int
    tenants_per_plan: tuple[PlanTenants, ...]
    months: tuple[MonthMovement, ...]


def _customer_tenants(using: str) -> QuerySet[Tenant]:
    return Tenant.objects.using(using).exclude(schema_name=get_public_schema_name())


def _customer_entitlements(using: str) -> QuerySet[Entitlement]:
    return Entitlement.objects.using(using).exclude(tenant__schema_name=get_public_schema_name())


def fx_to_usd() -> dict[Currency, Decimal]:
    """What one unit of each billing currency counts as in USD (USD itself 1)."""
    rates = {Currency(code): Decimal(rate) for code, rate in settings.BILLING_FX_TO_USD.items()}
    return {Currency.USD: Decimal(1), **rates}


def revenue(*, using: str = DEFAULT_DB_ALIAS) -> Revenue:
    """MRR from each paying tenant's subscription as its entitlement records it, in the
    currency its Stripe subscription is billed in, converted to USD: active and past due
    subscriptions count, a yearly price a twelfth; trials and complimentary plans bring
    nothing. One query, grouped by price and currency in the database."""
    rates = fx_to_usd()
    mrr = Decimal("0.00")
    past_due = 0
    billed_in = (
        Subscription.objects.filter(id=OuterRef("stripe_subscription_id"))
        .annotate(currency=KT("stripe_data__currency"))
        .values("currency")[:1]
    )
    groups = (
        _customer_entitlements(using)
        .filter(status__in=REVENUE_STATUSES)
        .annotate(
            currency=Coalesce(
                Subquery(billed_in), Value(Currency.USD.value), output_field=TextField()
            )
        )
        .values_list("subscribed_plan", "interval", "status", "currency")
        .annotate(tenants=Count("pk"))
        .order_by()
    )
    for subscribed_plan, interval, status, currency, tenants in groups:
        if currency not in rates:
            continue  # not one of the plans' prices, which exist in these currencies only
        # The entitlement's own rule prices the group, as it prices one tenant elsewhere.
        subscription = Entitlement(
            subscribed_plan=subscribed_plan, interval=interval, status=status
        )
        in_usd = subscription.monthly_revenue(Currency(currency)) * rates[Currency(currency)]
        mrr += in_usd.quantize(Decimal("0.01"), ROUND_HALF_UP) * tenants
        if status == SubscriptionStatus.PAST_DUE:
            past_due += tenants
    return Revenue(mrr=mrr, past_due=past_due)


def tenants_per_plan(*, now: datetime, using: str = DEFAULT_DB_ALIAS) -> tuple[PlanTenants, ...]:
    """Customer tenants by the plan in force at `now`, complimentary plans in buckets of their
    own; a tenant without an entitlement is on Free. Two queries."""
    counts: Counter[tuple[str, bool]] = Counter()
    entitled = 0
    for entitlement in _customer_entitlements(using):
        counts[(entitlement.effective_plan(now).code, entitlement.on_comp(now))] += 1
        entitled += 1
    counts[(FREE.code, False)] += _customer_tenants(using).count() - entitled
    return tuple(
        PlanTenants(plan_name=plan.name, comp=comp, tenants=counts[(plan.code, comp)])
        for plan in sorted(PLANS.values(), key=lambda plan: plan.rank)
        for comp in ((False,) if plan.is_free else (False, True))
    )


def _month_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _months_back(month: datetime, count: int) -> datetime:
    index = month.year * 12 + month.month - 1 - count
    return month.replace(year=index // 12, month=index % 12 + 1)


def monthly_movements(
    *, now: datetime, months: int = MONTHS_SHOWN, using: str = DEFAULT_DB_ALIAS
) -> tuple[MonthMovement, ...]:
    """New and churned tenants in each of the last `months` calendar months (UTC), the month of
    `now` last. A tenant churns in the month its subscription ended, unless it holds a
    subscription that is still running at `now`; it counts once per month. Two queries."""
    first = _months_back(_month_start(now), months - 1)
    end = _months_back(_month_start(now), -1)
    new = dict(
        _customer_tenants(using)
        .filter(created_at__gte=first, created_at__lt=end)
        .annotate(month=TruncMonth("created_at", tzinfo=UTC))
        .values_list("month")
        .annotate(tenants=Count("pk"))
        .order_by()
    )
    still_subscribed = Subscription.objects.filter(
        customer__subscriber=OuterRef("customer__subscriber"),
        stripe_data__status__in=STAYING_STATUSES,
    )
    churned = dict(
        Subscription.objects.using(using)
        .filter(
            stripe_data__status=SubscriptionStatus.CANCELED,
            customer__subscriber__isnull=False,
        )
        .exclude(customer__subscriber__schema_name=get_public_schema_name())
        .annotate(ended_at=subscription_ended_at())
        .filter(ended_at__gte=first, ended_at__lt=end)
        .exclude(Exists(still_subscribed))
        .annotate(month=TruncMonth("ended_at", tzinfo=UTC))
        .values_list("month")
        .annotate(tenants=Count("customer__subscriber", distinct=True))
        .order_by()
    )
    result = []
    for back in range(months - 1, -1, -1):
        month = _months_back(_month_start(now), back)
        result.append(
            MonthMovement(month=month.date(), new=new.get(month, 0), churned=churned.get(month, 0))
        )
    return tuple(result)


def platform_metrics(*, now: datetime) -> PlatformMetrics:
    """Everything the platform metrics page shows, as of `now`, in five queries, all on the hot
    standby while it keeps up (a few seconds old at most), else on the primary."""
    using = staff_reads()
    per_plan = tenants_per_plan(now=now, using=using)
    return PlatformMetrics(
        revenue=revenue(using=using),
        tenants=sum(bucket.tenants for bucket in per_plan),
        tenants_per_plan=per_plan,
        months=monthly_movements(now=now, using=using),
    )

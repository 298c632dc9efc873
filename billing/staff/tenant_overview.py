"""Reads for platform staff: many tenants' plans and usage at once, in a bounded number of queries
whatever the number of tenants, and one tenant's billing history."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django_tenants.utils import get_public_schema_name, schema_context
from djstripe.models import Customer, Invoice, Subscription

from billing.models import Entitlement, StripeWebhook, UsageCounter
from billing.plans import PERIODIC_RESOURCES, Plan, Resource
from billing.selectors import Usage, customer_get, usage_period, webhook_summary
from loginexus.accounts.models import Role
from loginexus.tenancy.models import Tenant

WARNING_PERCENT = 80


@dataclass(frozen=True)
class TenantStanding:
    """A tenant's billing standing now, as the staff list shows it."""

    entitlement: Entitlement
    plan: Plan
    on_comp: bool
    period_end: datetime
    usage: dict[Resource, Usage]
    monthly_revenue: Decimal

    @property
    def near_a_limit(self) -> bool:
        return any(
            usage.limit and usage.used * 100 >= WARNING_PERCENT * usage.limit
            for usage in self.usage.values()
        )


def tenants_for_staff() -> QuerySet[Tenant]:
    """Every customer tenant (not the public one), with its entitlement in the same query."""
    return Tenant.objects.exclude(schema_name=get_public_schema_name()).select_related(
        "entitlement"
    )


def entitlement_of(tenant: Tenant) -> Entitlement:
    """The entitlement loaded with the tenant (`select_related`), or a Free one if it has none."""
    try:
        return tenant.entitlement
    except Entitlement.DoesNotExist:
        return Entitlement(tenant=tenant)


def standings(
    *, tenants: Iterable[Tenant], now: datetime, using: str = DEFAULT_DB_ALIAS
) -> dict[int, TenantStanding]:
    """The standing of each tenant (loaded with `tenants_for_staff`): three queries in all, on
    the database `using`."""
    tenants = list(tenants)
    counters: dict[tuple[int, str, datetime], int] = {
        (tenant_id, resource, start): used
        for tenant_id, resource, start, used in UsageCounter.objects.using(using)
        .filter(tenant__in=tenants, period_start__lte=now, period_end__gt=now)
        .values_list("tenant_id", "resource", "period_start", "used")
    }
    seats = seats_of(tenants=tenants, using=using)
    result = {}
    for tenant in tenants:
        entitlement = entitlement_of(tenant)
        plan = entitlement.effective_plan(now)
        start, end = usage_period(entitlement=entitlement, now=now)
        usage = {
            resource: Usage(
                used=counters.get((tenant.pk, str(resource), start), 0),
                limit=plan.limit(resource),
                resets_at=end,
            )
            for resource in PERIODIC_RESOURCES
        }
        usage[Resource.USERS] = Usage(
            used=seats.get(tenant.pk, 0), limit=plan.limit(Resource.USERS)
        )
        result[tenant.pk] = TenantStanding(
            entitlement=entitlement,
            plan=plan,
            on_comp=entitlement.on_comp(now),
            period_end=end,
            usage=usage,
            monthly_revenue=entitlement.monthly_revenue(),
        )
    return result


def seats_of(*, tenants: Iterable[Tenant], using: str = DEFAULT_DB_ALIAS) -> dict[int, int]:
    """Active users per tenant, counted in each tenant's schema by one UNION query (two queries
    in all; tenants whose schema does not exist count nothing)."""
    by_schema = {tenant.schema_name: tenant.pk for tenant in tenants}
    if not by_schema:
        return {}
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", [list(by_schema)]
        )
        schemas = [row[0] for row in cursor.fetchall()]
        if not schemas:
            return {}
        table = connection.ops.quote_name(get_user_model()._meta.db_table)
        counts = " UNION ALL ".join(
            f"SELECT %s, count(*) FROM {connection.ops.quote_name(schema)}.{table} "  # noqa: S608
            "WHERE is_active"
            for schema in schemas
        )
        cursor.execute(counts, [by_schema[schema] for schema in schemas])
        return dict(cursor.fetchall())


def tenant_ids_where(*, now: datetime, keep, using: str = DEFAULT_DB_ALIAS) -> list[int]:
    """The ids of the tenants whose standing passes `keep` (for the staff list's filters)."""
    tenants = tenants_for_staff().using(using)
    return [pk for pk, standing in standings(tenants=tenants, now=now, using=using).items()
            if keep(standing)]  # fmt: skip


def tenant_admins(*, tenant: Tenant) -> list:
    with schema_context(tenant.schema_name):
        return list(
            get_user_model().objects.filter(role=Role.ADMIN).order_by("-is_active", "email")
        )


def usage_history(*, tenant: Tenant, periods: int = 6) -> dict[str, list[UsageCounter]]:
    """The tenant's counters of its last `periods` periods per resource, oldest first."""
    history: dict[str, list[UsageCounter]] = {str(resource): [] for resource in PERIODIC_RESOURCES}
    for counter in UsageCounter.objects.filter(tenant=tenant).order_by("-period_start"):
        if len(history[counter.resource]) < periods:
            history[counter.resource].insert(0, counter)
    return history


@dataclass(frozen=True)
class StripeRecords:
    customer: Customer | None
    subscriptions: list[Subscription]
    invoices: list[Invoice]
    webhooks: list[StripeWebhook]


def stripe_records(*, tenant: Tenant, recent: int = 10) -> StripeRecords:
    """The tenant's Stripe customer, subscriptions and newest invoices as dj-stripe synced them,
    and the newest webhooks about its customer."""
    customer = customer_get(tenant=tenant)
    if customer is None:
        return StripeRecords(None, [], [], [])
    # By the body Stripe sent: a webhook that failed has no event linked to it.
    webhooks = list(
        StripeWebhook.objects.filter(body__contains=customer.id)
        .select_related("event")
        .order_by("-created")[:recent]
    )
    for webhook in webhooks:
        webhook.summary = webhook_summary(webhook)
    return StripeRecords(
        customer=customer,
        subscriptions=list(Subscription.objects.filter(customer=customer).order_by("-created")),
        invoices=list(Invoice.objects.filter(customer=customer).order_by("-created")[:recent]),
        webhooks=webhooks,
    )

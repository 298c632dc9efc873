"""Reads of billing: entitlements, usage periods and counts, subscriptions, invoices, webhooks.

Billing rows live in the public schema, which schemas do not isolate: every selector here takes
the tenant explicitly and filters by it.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q, QuerySet
from django_tenants.utils import schema_context
from djstripe.models import Customer, Price, Subscription, WebhookEventTrigger

from billing.models import LIVE_STATUSES, Entitlement, UsageCounter
from billing.plans import (
    PERIODIC_RESOURCES,
    RESOURCE_LABELS,
    RESOURCE_NOUNS,
    Interval,
    Plan,
    Resource,
)
from billing.stripe.subscriptions import SubscriptionFacts
from loginexus.replica import staff_reads
from loginexus.tenancy.models import Tenant


@dataclass(frozen=True)
class Usage:
    used: int
    limit: int | None
    resets_at: datetime | None = None  # the period's end; seats do not reset

    @property
    def percent(self) -> int:
        if not self.limit:
            return 0
        return min(100, round(100 * self.used / self.limit))


@dataclass(frozen=True)
class BillingState:
    entitlement: Entitlement
    plan: Plan
    period_start: datetime
    period_end: datetime
    in_grace: bool
    on_comp: bool
    usage: dict[Resource, Usage]


def current_tenant() -> Tenant:
    """The tenant whose schema the connection is in (a request's, a task's or a shell's)."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant):
        return tenant
    return Tenant.objects.get(schema_name=connection.schema_name)


def entitlement_get(*, tenant: Tenant) -> Entitlement:
    """The tenant's entitlement row, or an unsaved Free one for a tenant that never subscribed."""
    entitlement = Entitlement.objects.filter(tenant=tenant).first()
    return entitlement or Entitlement(tenant=tenant)


def calendar_month(now: datetime) -> tuple[datetime, datetime]:
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def usage_period(*, entitlement: Entitlement, now: datetime) -> tuple[datetime, datetime]:
    """A paying tenant's subscription period, else (Free, or a complimentary plan) the calendar
    month (UTC).

    Past the known period's end (a renewal not yet confirmed by Stripe) the period rolls forward
    from that end, so the counter it opens is the one the confirmed renewal will name.
    """
    plan = entitlement.effective_plan(now)
    start, end = entitlement.period_start, entitlement.period_end
    if plan.is_free or entitlement.on_comp(now) or not (start and end and start < end):
        return calendar_month(now)
    while now >= end:
        start, end = end, end + (end - start)
    return start, end


def seats_used(*, tenant: Tenant) -> int:
    """Active users, and invitations still pending: each holds a seat until it is accepted,
    revoked or expired."""
    invitation = apps.get_model("accounts", "Invitation")
    with schema_context(tenant.schema_name):
        users = get_user_model().objects.filter(is_active=True).count()
        return users + invitation.objects.filter(invitation.pending_q()).count()


def usage_get(*, tenant: Tenant, entitlement: Entitlement, now: datetime) -> dict[Resource, Usage]:
    plan = entitlement.effective_plan(now)
    period_start, period_end = usage_period(entitlement=entitlement, now=now)
    counted = dict(
        UsageCounter.objects.filter(
            tenant=tenant, period_start=period_start, resource__in=PERIODIC_RESOURCES
        ).values_list("resource", "used")
    )
    usage = {
        resource: Usage(
            used=counted.get(resource, 0), limit=plan.limit(resource), resets_at=period_end
        )
        for resource in PERIODIC_RESOURCES
    }
    usage[Resource.USERS] = Usage(used=seats_used(tenant=tenant), limit=plan.limit(Resource.USERS))
    return usage


@dataclass(frozen=True)
class UsageWarning:
    resource: Resource
    usage: Usage

    @property
    def label(self) -> str:
        return RESOURCE_LABELS[self.resource]

    @property
    def noun(self) -> str:
        return RESOURCE_NOUNS[self.resource]


def usage_warnings(*, usage: dict[Resource, Usage]) -> list[UsageWarning]:
    """The resources at 80 % or more of their limit, for the warnings on the pages."""
    return [
        UsageWarning(resource, u) for resource, u in usage.items() if u.limit and u.percent >= 80
    ]


def usage_rows(*, usage: dict[Resource, Usage]) -> list[tuple[str, Usage]]:
    """Each resource's label and usage, for the usage bars and tables."""
    return [(RESOURCE_LABELS[resource], u) for resource, u in usage.items()]


def billing_state_get(*, tenant: Tenant, now: datetime) -> BillingState:
    entitlement = entitlement_get(tenant=tenant)
    period_start, period_end = usage_period(entitlement=entitlement, now=now)
    return BillingState(
        entitlement=entitlement,
        plan=entitlement.effective_plan(now),
        period_start=period_start,
        period_end=period_end,
        in_grace=entitlement.in_grace(now),
        on_comp=entitlement.on_comp(now),
        usage=usage_get(tenant=tenant, entitlement=entitlement, now=now),
    )


def entitlements_to_reconcile(*, overdue_at: datetime | None = None) -> QuerySet[Entitlement]:
    """Tenants with a subscription; with `overdue_at`, only those whose period or grace ended
    by then without an event saying what happened. Read on the hot standby while it keeps up:
    each tenant is then reconciled from the primary."""
    entitlements = Entitlement.objects.using(staff_reads()).exclude(stripe_subscription_id="")
    if overdue_at is not None:
        entitlements = entitlements.filter(
            Q(period_end__lt=overdue_at) | Q(grace_until__lt=overdue_at)
        )
    return entitlements


def customer_get(*, tenant: Tenant) -> Customer | None:
    return (
        Customer.objects.filter(subscriber=tenant, date_purged__isnull=True)
        .order_by("-created")
        .first()
    )


def subscription_facts_get(*, tenant: Tenant) -> SubscriptionFacts | None:
    """The tenant's subscription that matters now: the newest live one, else the newest one."""
    subscriptions = [
        SubscriptionFacts.from_stripe_data(subscription.stripe_data)
        for subscription in Subscription.objects.filter(customer__subscriber=tenant)
    ]
    if not subscriptions:
        return None
    newest_first = sorted(
        subscriptions,
        key=lambda facts: facts.created or datetime.min.replace(tzinfo=UTC),
        reverse=True,
    )
    live = [facts for facts in newest_first if facts.status in LIVE_STATUSES]
    return (live or newest_first)[0]


def price_get(*, plan: Plan, interval: Interval) -> Price | None:
    return Price.objects.filter(lookup_key=plan.lookup_key(interval), active=True).first()


@dataclass(frozen=True)
class WebhookSummary:
    """What a trigger's event is, as far as its stored copy tells (empty when it is not one)."""

    event_id: str = ""
    event_type: str = ""
    customer_id: str = ""


def _stripe_id(value: Any) -> str:
    """An expandable field: either the id itself or the expanded object."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def webhook_summary(trigger: WebhookEventTrigger) -> WebhookSummary:
    """The event's id, type and customer, from the linked event (load it with
    `select_related("event")`) or else from the body that reached the endpoint."""
    if trigger.event_id is not None:
        data = {"id": trigger.event.id, "type": trigger.event.type, "data": trigger.event.data}
    else:
        try:
            data = json.loads(trigger.body)
        except (ValueError, RecursionError):  # a refused body may be anything
            return WebhookSummary()
    if not isinstance(data, Mapping):
        return WebhookSummary()
    payload = data.get("data")
    stripe_object = payload.get("object") if isinstance(payload, Mapping) else None
    customer_id = ""
    if isinstance(stripe_object, Mapping):
        if stripe_object.get("object") == "customer":
            customer_id = _stripe_id(stripe_object.get("id"))
        else:
            customer_id = _stripe_id(stripe_object.get("customer"))
    return WebhookSummary(
        event_id=_stripe_id(data.get("id")),
        event_type=data.get("type") if isinstance(data.get("type"), str) else "",
        customer_id=customer_id,
    )


def webhook_tenants(*, summaries: Iterable[WebhookSummary]) -> dict[str, Tenant]:
    """The tenant of each customer the summaries name, where we know it: one query."""
    customer_ids = {summary.customer_id for summary in summaries if summary.customer_id}
    if not customer_ids:
        return {}
    customers = Customer.objects.filter(
        id__in=customer_ids, subscriber__isnull=False
    ).select_related("subscriber")
    return {customer.id: customer.subscriber for customer in customers}

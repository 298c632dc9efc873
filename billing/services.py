"""Writes of billing: entitlements from Stripe's subscription, usage, checkout and plan changes.

Calls to Stripe go through `billing.stripe.boundary`; what Stripe answers is synced into dj-stripe's
tables at once, so the pages show the change before the webhook confirms it.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import schema_context
from djstripe.models import Customer, Invoice, Subscription
from djstripe.settings import djstripe_settings

from billing.currencies.selectors import checkout_currency_choose
from billing.exceptions import NoSubscription, NotPastDue, PlanNotAvailable, SubscriptionExists
from billing.models import LIVE_STATUSES, Entitlement, SubscriptionStatus
from billing.plans import FREE, RESOURCE_NOUNS, Currency, Interval, Plan, Resource
from billing.selectors import (
    customer_get,
    entitlement_get,
    price_get,
    subscription_facts_get,
    usage_get,
)
from billing.stripe import boundary
from billing.stripe.customers import customer_details, customer_lock
from billing.stripe.subscriptions import SubscriptionFacts
from billing.tax.selectors import tax_location_known
from loginexus.accounts.models import Role, User
from loginexus.audit.services import audit_record
from loginexus.mail.services import email_send
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.selectors import tenant_url

logger = logging.getLogger(__name__)


def _grace_until(
    facts: SubscriptionFacts, *, extended_until: datetime | None = None
) -> datetime | None:
    """Grace runs from the first failed payment: the finalization of the unpaid invoice, when
    Stripe first charged it (about an hour after it drafted a renewal), as Stripe recorded it,
    so reprocessing an event never moves it. Staff may have extended it."""
    if facts.status != SubscriptionStatus.PAST_DUE:
        return None
    invoice = Invoice.objects.filter(id=facts.latest_invoice_id).first()
    failed_at = _first_charged_at(invoice) or facts.period_start
    grace = (failed_at or timezone.now()) + timedelta(days=settings.BILLING_GRACE_DAYS)
    return max(grace, extended_until) if extended_until else grace


def _first_charged_at(invoice: Invoice | None) -> datetime | None:
    if invoice is None:
        return None
    finalized_at = (invoice.stripe_data.get("status_transitions") or {}).get("finalized_at")
    if finalized_at:
        return datetime.fromtimestamp(finalized_at, tz=UTC)
    return invoice.created


# What a refresh derives from the subscription. The rest of the row is staff's (a complimentary
# plan, an extended grace): a refresh neither writes nor validates it.
_DERIVED_FIELDS = (
    "subscribed_plan",
    "status",
    "interval",
    "period_start",
    "period_end",
    "grace_until",
    "cancel_at_period_end",
    "stripe_customer_id",
    "stripe_subscription_id",
)
_NOT_DERIVED_FIELDS = [
    field.name for field in Entitlement._meta.fields if field.name not in _DERIVED_FIELDS
]


@transaction.atomic
def entitlement_refresh(*, tenant: Tenant) -> Entitlement:
    """Recompute the tenant's entitlement from its subscription as dj-stripe last synced it."""
    return _entitlement_refresh(tenant, subscription_facts_get(tenant=tenant))


def _entitlement_refresh(tenant: Tenant, facts: SubscriptionFacts | None) -> Entitlement:
    """Written only when it changed: an event that moved nothing the entitlement follows keeps
    its row (and the limit checks' copies of it) as they are."""
    entitlement, _ = Entitlement.objects.select_for_update().get_or_create(tenant=tenant)
    before = [getattr(entitlement, name) for name in _DERIVED_FIELDS]
    customer = customer_get(tenant=tenant)
    entitlement.stripe_customer_id = customer.id if customer else ""
    if facts is None:
        entitlement.subscribed_plan = FREE.code
        entitlement.status = SubscriptionStatus.NONE
        entitlement.interval = ""
        entitlement.period_start = entitlement.period_end = entitlement.grace_until = None
        entitlement.cancel_at_period_end = False
        entitlement.stripe_subscription_id = ""
    else:
        entitlement.subscribed_plan = facts.plan.code
        entitlement.status = facts.status
        entitlement.interval = facts.interval or ""
        entitlement.period_start = facts.period_start
        entitlement.period_end = facts.period_end
        entitlement.grace_until = _grace_until(
            facts, extended_until=entitlement.grace_extended_until
        )
        entitlement.cancel_at_period_end = facts.cancel_at_period_end
        entitlement.stripe_subscription_id = facts.id
    if [getattr(entitlement, name) for name in _DERIVED_FIELDS] == before:
        return entitlement
    entitlement.full_clean(exclude=_NOT_DERIVED_FIELDS, validate_unique=False)
    entitlement.save(update_fields=[*_DERIVED_FIELDS, "updated_at"])
    return entitlement


def latest_invoice_ensure(*, facts: SubscriptionFacts | None) -> None:
    """Store the latest invoice of the subscription if it is not stored yet: its own event may
    come later than the subscription's (or never reach us)."""
    invoice_id = facts.latest_invoice_id if facts else None
    if not invoice_id or Invoice.objects.filter(id=invoice_id).exists():
        return
    boundary.synced(Invoice, boundary.invoice_retrieve(invoice_id=invoice_id))


@transaction.atomic(savepoint=False)
def entitlement_and_invoice_refresh(*, tenant: Tenant) -> Entitlement:
    """After a subscription was synced from Stripe: its latest invoice stored if missing and the
    entitlement recomputed, committed together, so the invoice list never lags the plan. Inside
    a caller's transaction (a webhook's, a reconciliation's) it is part of it, with no savepoint
    of its own: no caller goes on after it failed."""
    facts = subscription_facts_get(tenant=tenant)
    latest_invoice_ensure(facts=facts)
    return _entitlement_refresh(tenant, facts)


def customer_ensure(*, tenant: Tenant) -> Customer:
    """The tenant's Stripe customer, created in Stripe first and only then recorded locally,
    with the workspace's billing details as they are when it is created (a change saved
    meanwhile waits for it: customer_lock)."""
    customer = customer_get(tenant=tenant)
    if customer:
        return customer
    with transaction.atomic():
        customer_lock(tenant=tenant)
        customer = customer_get(tenant=tenant)
        if customer:
            return customer
        tenant = Tenant.objects.get(pk=tenant.pk)
        stripe_customer = boundary.customer_create(
            **customer_details(tenant),
            metadata={
                djstripe_settings.SUBSCRIBER_CUSTOMER_KEY: str(tenant.pk),
                "tenant_id": str(tenant.pk),
                "tenant_slug": tenant.slug,
            },
            idempotency_key=f"loginexus-customer-{tenant.pk}",
        )
        return boundary.synced(Customer, stripe_customer)


def _price_id(plan: Plan, interval: Interval) -> str:
    price = price_get(plan=plan, interval=interval)
    if price is None:
        raise PlanNotAvailable(
            gettext("The %(plan)s plan is not available yet. Please try again later.")
            % {"plan": plan.name}
        )
    return price.id


def checkout_start(
    *,
    tenant: Tenant,
    plan: Plan,
    interval: Interval,
    success_url: str,
    cancel_url: str,
    currency: Currency | None = None,
) -> tuple[str, str]:
    """Open a Stripe Checkout session for a tenant with no live subscription: (url, session id).

    It charges in `currency` (default: the tenant's, see billing.currencies) with Stripe Tax
    on, and asks for the billing address and tax ID the workspace does not have yet."""
    if plan.is_free:
        raise NoSubscription(gettext("The Free plan needs no checkout."))
    current = subscription_facts_get(tenant=tenant)
    if current and current.status in LIVE_STATUSES:
        raise SubscriptionExists(
            gettext("This workspace already has a subscription; change its plan instead."),
            extra={"change_plan_url": "/billing/pricing/"},
        )
    currency = checkout_currency_choose(tenant=tenant, requested=currency)
    price_id = _price_id(plan, interval)
    customer = customer_ensure(tenant=tenant)
    session = boundary.checkout_session_create(
        customer_id=customer.id,
        price_id=price_id,
        success_url=success_url,
        cancel_url=cancel_url,
        client_reference_id=str(tenant.pk),
        metadata={"tenant_id": str(tenant.pk), "tenant_slug": tenant.slug, "plan": plan.code},
        currency=currency.value,
        collect_address=not tax_location_known(tenant),
        collect_tax_id=tenant.tax_id is None,
    )
    _audited(
        tenant, "billing.checkout_started", plan=plan.code, interval=interval, currency=currency
    )
    return session.url, session.id


def _audited(tenant: Tenant, action: str, **changes) -> None:
    """A billing action in the workspace's own audit log (`changes`: what was asked for)."""
    with schema_context(tenant.schema_name):
        audit_record(
            action=action,
            object_type="subscription",
            object_id=tenant.slug,
            changes={name: [None, str(value)] for name, value in changes.items()},
        )


def _live_subscription(tenant: Tenant) -> SubscriptionFacts:
    facts = subscription_facts_get(tenant=tenant)
    if facts is None or facts.status not in LIVE_STATUSES:
        raise NoSubscription(
            gettext("This workspace has no subscription to change; choose a plan first.")
        )
    return facts


@transaction.atomic
def _sync_and_refresh(tenant: Tenant, stripe_subscription) -> Entitlement:
    boundary.synced(Subscription, stripe_subscription)
    return entitlement_and_invoice_refresh(tenant=tenant)


def subscription_cancel_at_period_end(*, tenant: Tenant) -> Entitlement:
    facts = _live_subscription(tenant)
    updated = boundary.subscription_modify(subscription_id=facts.id, cancel_at_period_end=True)
    _audited(tenant, "billing.cancel_scheduled", cancel_at_period_end=True)
    return _sync_and_refresh(tenant, updated)


def subscription_resume(*, tenant: Tenant) -> Entitlement:
    facts = _live_subscription(tenant)
    updated = boundary.subscription_modify(subscription_id=facts.id, cancel_at_period_end=False)
    _audited(tenant, "billing.resumed", cancel_at_period_end=False)
    return _sync_and_refresh(tenant, updated)


def billing_portal_start(*, tenant: Tenant, return_url: str) -> str:
    customer = customer_ensure(tenant=tenant)
    return boundary.billing_portal_session_create(
        customer_id=customer.id, return_url=return_url
    ).url


def entitlement_reconcile(*, tenant: Tenant) -> Entitlement:
    """Re-read the tenant's subscription from Stripe itself (not from a webhook), then refresh."""
    facts = subscription_facts_get(tenant=tenant)
    if facts is None:
        return entitlement_refresh(tenant=tenant)
    return _sync_and_refresh(tenant, boundary.subscription_retrieve(subscription_id=facts.id))


def tenant_resync(*, tenant: Tenant) -> Entitlement:
    """Staff: make the local copy of the tenant's customer, subscriptions and recent invoices
    what Stripe has now (events may have been missed), then recompute the entitlement."""
    customer = customer_get(tenant=tenant)
    if customer is None:
        return entitlement_refresh(tenant=tenant)
    stripe_customer = boundary.customer_retrieve(customer_id=customer.id)
    subscriptions = boundary.subscriptions_of(customer_id=customer.id)
    invoices = boundary.invoices_of(customer_id=customer.id)
    with transaction.atomic():
        boundary.synced(Customer, stripe_customer)
        for subscription in subscriptions:
            boundary.synced(Subscription, subscription)
        for invoice in invoices:
            boundary.synced(Invoice, invoice)
        return entitlement_and_invoice_refresh(tenant=tenant)


@transaction.atomic
def grace_extend(*, tenant: Tenant, until: datetime) -> Entitlement:
    """Staff: a tenant whose payment failed keeps its plan until `until` (a later date than its
    grace ends now); later recomputations keep the extension."""
    entitlement = Entitlement.objects.select_for_update().filter(tenant=tenant).first()
    if entitlement is None or entitlement.status != SubscriptionStatus.PAST_DUE:
        raise NotPastDue(
            gettext("Only a tenant whose subscription is past due has a grace period.")
        )
    if until <= max(timezone.now(), entitlement.grace_until or timezone.now()):
        raise ValidationError({"until": [gettext("Choose a time after the current end of grace.")]})
    entitlement.grace_extended_until = entitlement.grace_until = until
    entitlement.save()
    return entitlement


@transaction.atomic
def comp_plan_grant(*, tenant: Tenant, plan: Plan, until: datetime) -> Entitlement:
    """Staff: the tenant gets `plan` free of charge until `until`, with no Stripe subscription.
    A better plan the tenant pays for still wins; the pages say "comp" while it applies."""
    if plan.is_free:
        raise ValidationError({"plan": [gettext("A complimentary plan is a paid plan.")]})
    if until <= timezone.now():
        raise ValidationError({"until": [gettext("Choose a time in the future.")]})
    entitlement, _ = Entitlement.objects.select_for_update().get_or_create(tenant=tenant)
    entitlement.comp_plan, entitlement.comp_until = plan.code, until
    entitlement.full_clean(exclude=["tenant"], validate_unique=False)
    entitlement.save()
    return entitlement


@transaction.atomic
def comp_plan_end(*, tenant: Tenant) -> Entitlement:
    entitlement, _ = Entitlement.objects.select_for_update().get_or_create(tenant=tenant)
    entitlement.comp_plan, entitlement.comp_until = "", None
    entitlement.save()
    return entitlement


def usage_warning_send(*, tenant: Tenant, resource: Resource, threshold: int) -> int:
    """Email the tenant's active admins that `resource` reached `threshold` % of its limit."""
    now = timezone.now()
    entitlement = entitlement_get(tenant=tenant)
    usage = usage_get(tenant=tenant, entitlement=entitlement, now=now)[resource]
    with schema_context(tenant.schema_name):
        admins = list(
            User.objects.filter(role=Role.ADMIN, is_active=True).values_list("email", flat=True)
        )
    email = email_send(
        to=admins,
        template="usage_warning",
        tenant=tenant,
        context={
            "resource": str(resource),
            "noun": RESOURCE_NOUNS[resource],
            "threshold": threshold,
            "usage": usage,
            "plan": entitlement.effective_plan(now),
            "pricing_url": f"{tenant_url(tenant=tenant)}billing/pricing/",
        },
    )
    return len(email.to) if email else 0

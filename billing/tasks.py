"""Celery tasks of billing: take ids, call a service, safe to run twice."""

from celery import shared_task
from django.utils import timezone

from billing.exceptions import StripeUnavailable
from billing.plans import Resource
from billing.selectors import entitlements_to_reconcile
from billing.services import entitlement_reconcile, usage_warning_send
from billing.stripe.webhooks import webhook_trigger_process
from loginexus.tenancy.models import Tenant


@shared_task(
    autoretry_for=(StripeUnavailable,),
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
)
def webhook_trigger_process_task(trigger_id: int) -> None:
    webhook_trigger_process(trigger_id=trigger_id)


@shared_task(autoretry_for=(StripeUnavailable,), retry_backoff=30, max_retries=5, acks_late=True)
def entitlement_reconcile_task(tenant_id: int) -> None:
    entitlement_reconcile(tenant=Tenant.objects.get(pk=tenant_id))


@shared_task
def entitlements_overdue_reconcile_task() -> int:
    """Safety net (hourly): tenants whose period ended or whose grace ran out without an event
    that says what happened are re-read from Stripe."""
    return _reconcile_each(entitlements_to_reconcile(overdue_at=timezone.now()))


@shared_task
def entitlements_reconcile_all_task() -> int:
    """Nightly: every tenant with a subscription is re-read from Stripe."""
    return _reconcile_each(entitlements_to_reconcile())


def _reconcile_each(entitlements) -> int:
    tenant_ids = list(entitlements.values_list("tenant_id", flat=True))
    for tenant_id in tenant_ids:
        entitlement_reconcile_task.delay(tenant_id)
    return len(tenant_ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def usage_warning_email_task(tenant_id: int, resource: str, threshold: int) -> None:
    usage_warning_send(
        tenant=Tenant.objects.get(pk=tenant_id), resource=Resource(resource), threshold=threshold
    )

"""Celery tasks of billing: take ids, call a service, safe to run twice.

Billing's tables are in the public schema, where every task here runs, whichever schema sent it.
A task may outlive the tenant or trigger it names (deleted, or the task came from another
database's queue): it then ends at once with a line in the log, and nothing to retry.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from billing.exceptions import StripeUnavailable
from billing.overage.tasks import overage_events_send_task  # noqa: F401 (the worker finds it here)
from billing.plans import Resource
from billing.selectors import entitlements_to_reconcile
from billing.services import entitlement_reconcile, usage_warning_send
from billing.stripe import boundary
from billing.stripe.webhooks import webhook_trigger_process, webhook_triggers_requeue
from loginexus.celery import PublicSchemaTask
from loginexus.tenancy.models import Tenant

logger = logging.getLogger(__name__)


def _tenant(tenant_id: int, task_name: str) -> Tenant | None:
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        logger.info("%s: tenant %s no longer exists; nothing to do", task_name, tenant_id)
    return tenant


@shared_task(
    base=PublicSchemaTask,
    autoretry_for=(StripeUnavailable,),
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
)
def webhook_trigger_process_task(trigger_id: int) -> None:
    with boundary.background_calls():
        webhook_trigger_process(trigger_id=trigger_id)


@shared_task(base=PublicSchemaTask)
def webhook_triggers_requeue_task() -> int:
    """Safety net (every minute): valid triggers whose task was lost are queued again."""
    older_than = timedelta(seconds=settings.STRIPE_WEBHOOK_REQUEUE_AFTER_SECONDS)
    return len(webhook_triggers_requeue(older_than=older_than))


@shared_task(
    base=PublicSchemaTask,
    autoretry_for=(StripeUnavailable,),
    retry_backoff=30,
    max_retries=5,
    acks_late=True,
)
def entitlement_reconcile_task(tenant_id: int) -> None:
    tenant = _tenant(tenant_id, "entitlement_reconcile_task")
    if tenant is not None:
        with boundary.background_calls():
            entitlement_reconcile(tenant=tenant)


@shared_task(base=PublicSchemaTask)
def entitlements_overdue_reconcile_task() -> int:
    """Safety net (hourly): tenants whose period ended or whose grace ran out without an event
    that says what happened are re-read from Stripe."""
    return _reconcile_each(entitlements_to_reconcile(overdue_at=timezone.now()))


@shared_task(base=PublicSchemaTask)
def entitlements_reconcile_all_task() -> int:
    """Nightly: every tenant with a subscription is re-read from Stripe."""
    return _reconcile_each(entitlements_to_reconcile())


def _reconcile_each(entitlements) -> int:
    tenant_ids = list(entitlements.values_list("tenant_id", flat=True))
    for tenant_id in tenant_ids:
        entitlement_reconcile_task.delay(tenant_id)
    return len(tenant_ids)


@shared_task(base=PublicSchemaTask, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def usage_warning_email_task(tenant_id: int, resource: str, threshold: int) -> None:
    tenant = _tenant(tenant_id, "usage_warning_email_task")
    if tenant is not None:
        usage_warning_send(tenant=tenant, resource=Resource(resource), threshold=threshold)

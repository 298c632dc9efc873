"""Celery tasks of tenancy: take plain values, call a service."""

import logging

from celery import shared_task

from billing.exceptions import StripeUnavailable
from billing.stripe import boundary
from loginexus.celery import PublicSchemaTask
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.services import workspaces_find_send
from loginexus.tenancy.workspace import workspace_customer_sync

logger = logging.getLogger(__name__)


@shared_task(base=PublicSchemaTask)
def workspaces_find_task(email: str, language: str | None = None) -> bool:
    return workspaces_find_send(email=email, language=language)


@shared_task(
    base=PublicSchemaTask,
    autoretry_for=(StripeUnavailable,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=12,
    acks_late=True,
)
def workspace_customer_sync_task(tenant_id: int) -> None:
    """After a change of the billing details failed part of the way through Stripe's calls:
    the Stripe customer made to carry the saved ones again."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        logger.info("workspace_customer_sync_task: tenant %s no longer exists", tenant_id)
        return
    with boundary.background_calls():
        workspace_customer_sync(tenant=tenant)

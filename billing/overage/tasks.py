"""Celery task of overage: report the outbox of extra shipments to Stripe, in batches."""

from celery import shared_task
from django.conf import settings

from billing.exceptions import StripeUnavailable
from billing.overage.services import overage_events_send
from billing.stripe import boundary
from loginexus.celery import PublicSchemaTask


@shared_task(
    base=PublicSchemaTask,
    autoretry_for=(StripeUnavailable,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=None,
)
def overage_events_send_task() -> int:
    """Every minute (beat), and again while a full batch leaves more behind."""
    with boundary.background_calls():
        reported = overage_events_send(batch_size=settings.BILLING_OVERAGE_BATCH_SIZE)
    if reported == settings.BILLING_OVERAGE_BATCH_SIZE:
        overage_events_send_task.delay()
    return reported

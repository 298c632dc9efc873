"""Celery tasks of outbound webhooks: one delivery attempt (by id, in the schema it names), and
the sweeper of due deliveries."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django_tenants.utils import schema_context

from loginexus.celery import PublicSchemaTask
from webhooks.services import webhook_deliveries_due_requeue, webhook_delivery_attempt


# The public tenant the base task switches to never changes: no query for it on every task.
@shared_task(base=PublicSchemaTask, acks_late=True, tenant_cache_seconds=3600)
def webhook_deliver_task(schema_name: str, delivery_id: int) -> int | None:
    """Idempotent: a delivery that is not due (sent already, or taken by another worker) is
    left alone. A failed attempt schedules its own retry; nothing here retries."""
    with schema_context(schema_name):
        answer = webhook_delivery_attempt(delivery_id=delivery_id)
    return answer.status_code if answer else None


@shared_task(base=PublicSchemaTask)
def webhook_deliveries_due_requeue_task() -> int:
    overdue_by = timedelta(seconds=settings.WEBHOOKS_REQUEUE_OVERDUE_SECONDS)
    return webhook_deliveries_due_requeue(overdue_by=overdue_by)

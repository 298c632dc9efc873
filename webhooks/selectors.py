"""Reads of outbound webhooks: endpoints, a delivery log, what is due."""

from django.db.models import QuerySet

from webhooks.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.all()


def webhook_delivery_list(*, endpoint_id: int | None = None) -> QuerySet[WebhookDelivery]:
    """Newest first, with the event and the attempts (newest first) for the log."""
    deliveries = WebhookDelivery.objects.select_related("event", "endpoint").prefetch_related(
        "attempt_log"
    )
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=endpoint_id)
    return deliveries

"""Tables of outbound webhooks, in the tenant's schema: endpoints, the events (the outbox), one
delivery per event and subscribed endpoint, and every attempt of a delivery."""

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    SHIPMENT_CREATED = "shipment.created", _("Shipment created")
    SHIPMENT_STATUS_CHANGED = "shipment.status_changed", _("Shipment status changed")
    ESCROW_CREATED = "escrow.created", _("Escrow created")
    ESCROW_STATUS_CHANGED = "escrow.status_changed", _("Escrow status changed")


def event_id_new() -> str:
    """The `webhook-id` a receiver deduplicates on: the same for every attempt of an event."""
    return f"msg_{uuid.uuid4().hex}"


class WebhookEndpoint(models.Model):
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = ArrayField(models.CharField(max_length=64, choices=EventType.choices))
    enabled = models.BooleanField(default=True)
    # The secrets are needed in clear to sign; the API shows one only when it is made.
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # Since when every attempt failed (none succeeded since); None while it is healthy.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(events=[]), name="webhooks_endpoint_has_events"
            )
        ]

    def __str__(self) -> str:
        return self.url

    def signing_secrets(self, now) -> list[str]:
        """The secrets a delivery is signed with now: the current one, and during the 24 h after
        a rotation the previous one too."""
        secrets = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_expires_at
            and (self.previous_secret_expires_at > now)
        ):
            secrets.append(self.previous_secret)
        return secrets


class WebhookEvent(models.Model):
    """The outbox: written in the transaction of the change, its body fixed once, so that every
    attempt and redelivery sends the same bytes."""

    id = models.CharField(primary_key=True, max_length=40, default=event_id_new, editable=False)
    type = models.CharField(max_length=64, choices=EventType.choices)
    created_at = models.DateTimeField(default=timezone.now)
    payload = models.TextField(help_text="The JSON body, exactly as it is sent and signed.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.pk}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    # Attempts so far (redeliveries included); the retry schedule counts from them.
    attempts = models.PositiveIntegerField(default=0)
    # When it is next due; None once it succeeded or gave up. A worker that takes it moves it
    # a lease ahead, so another worker or the sweeper leaves it alone while it is being sent.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhooks_delivery_once")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(next_attempt_at__isnull=False),
                name="webhooks_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    attempted_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)
    response_body = models.TextField(blank=True, help_text="The answer's first 2,000 characters.")

    class Meta:
        ordering = ["-attempted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"

"""The outbox: one row per email, in the public schema (where the worker delivers from), written in
the transaction of the change it reports and marked sent once delivered."""

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class OutgoingEmail(models.Model):
    # Also the Message-ID's local part: a receiver can tell a redelivery from a new message.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        "tenancy.Tenant", null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    template = models.CharField(max_length=100, help_text="The templates it was rendered from.")
    to = ArrayField(models.EmailField(max_length=254))
    subject = models.CharField(max_length=255)
    text = models.TextField()
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["queued_at"],
                condition=models.Q(sent_at__isnull=True),
                name="mail_outgoing_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"

"""One row per write, in the workspace's schema; rows are only ever added."""

from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Who: a person's email, "api-key:<prefix>", or "system" (a worker, Stripe's webhooks).
    actor = models.CharField(max_length=320)
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=64, db_index=True)  # e.g. shipment.created
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "audit_entry"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.object_id}"

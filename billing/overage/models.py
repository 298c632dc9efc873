"""The outbox of overage: one row per extra shipment, written in the shipment's own transaction."""

from django.db import models


class OverageEvent(models.Model):
    """An extra shipment still to be reported to Stripe's meter (`sent_at` empty), or reported.

    Written by the limit check's statement with the shipment itself, so a rolled-back create
    leaves none; sent by a task in batches, with an identifier Stripe deduplicates on.
    """

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    shipment_id = models.BigIntegerField(help_text="The shipment's id in the tenant's schema.")
    period_start = models.DateTimeField(help_text="The usage period the shipment counts in.")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "billing"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "shipment_id"], name="billing_overage_once_per_shipment"
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="billing_overage_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} shipment {self.shipment_id}"

    @property
    def identifier(self) -> str:
        """Stable for the shipment: a resend is the same meter event to Stripe."""
        return f"t{self.tenant_id}-shipment-{self.shipment_id}"

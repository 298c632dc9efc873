"""A notice sent to a tenant's admins about one Stripe object: at most one per object and kind."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    TRIAL_WILL_END = "trial_will_end", _("Trial ends soon")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    PAYMENT_ACTION_REQUIRED = "payment_action_required", _("Payment needs authentication")


class BillingNotice(models.Model):
    """Written in the transaction that queues its email, so a Stripe event delivered again (or
    reprocessed) finds it and sends nothing more."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    stripe_id = models.CharField(
        max_length=255, help_text=_("The subscription or invoice the notice is about.")
    )
    kind = models.CharField(max_length=30, choices=NoticeKind.choices)
    link = models.URLField(max_length=1000, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When what it asked for was done (the invoice paid).")
    )

    class Meta:
        app_label = "billing"
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["stripe_id", "kind"], name="billing_notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.kind} {self.stripe_id}"

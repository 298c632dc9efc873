"""Billing state in the public schema: each tenant's entitlements and its usage per period."""

from datetime import datetime

from django.db import models

from billing.plans import FREE, PLAN_CHOICES, Interval, Plan, Resource, plan_by_code


class SubscriptionStatus(models.TextChoices):
    NONE = "none", "No subscription"
    INCOMPLETE = "incomplete", "Incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete, expired"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    CANCELED = "canceled", "Canceled"
    UNPAID = "unpaid", "Unpaid"
    PAUSED = "paused", "Paused"


# Statuses of a subscription that still holds the tenant: a second one must not be started.
LIVE_STATUSES = (
    SubscriptionStatus.INCOMPLETE,
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.UNPAID,
    SubscriptionStatus.PAUSED,
)


class Entitlement(models.Model):
    """What a tenant may do, derived from its Stripe subscription as Stripe has it now.

    One row per tenant, recomputed after each billing event and never by calling Stripe on a
    request path. Limit checks keep a copy per process and compare it in their own statement.
    """

    tenant = models.OneToOneField(
        "tenancy.Tenant", on_delete=models.CASCADE, related_name="entitlement"
    )
    subscribed_plan = models.CharField(
        max_length=20,
        choices=PLAN_CHOICES,
        default=FREE.code,
        help_text="The plan of the subscription's price (what the tenant pays for).",
    )
    status = models.CharField(
        max_length=20, choices=SubscriptionStatus.choices, default=SubscriptionStatus.NONE
    )
    interval = models.CharField(
        max_length=5, choices=[(i.value, i.value) for i in Interval], blank=True
    )
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    grace_until = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What the plan and period in force depend on; a limit check's copy of the row is current
    # while these match the table (billing.limits).
    LIMIT_FIELDS = ("subscribed_plan", "status", "period_start", "period_end", "grace_until")

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.subscribed_plan} ({self.status})"

    def effective_plan(self, now: datetime) -> Plan:
        """The plan whose limits apply at `now` (see PRODUCT.md, subscription state)."""
        subscribed = plan_by_code(self.subscribed_plan)
        if self.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING):
            return subscribed
        if (
            self.status == SubscriptionStatus.PAST_DUE
            and self.grace_until
            and now < self.grace_until
        ):
            return subscribed
        return FREE

    def in_grace(self, now: datetime) -> bool:
        return self.status == SubscriptionStatus.PAST_DUE and bool(
            self.grace_until and now < self.grace_until
        )


class UsageCounter(models.Model):
    """How many of a resource a tenant created in one billing period; past periods are history."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="usage")
    resource = models.CharField(max_length=20, choices=[(r.value, r.value) for r in Resource])
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period_start", "resource"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "resource", "period_start"], name="billing_usage_one_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")),
                name="billing_usage_period_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.resource} {self.period_start:%Y-%m-%d}: {self.used}"


class UsageWarning(models.Model):
    """A warning sent to a tenant's admins: one per resource, period and threshold (80, 100 %)."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    resource = models.CharField(max_length=20, choices=[(r.value, r.value) for r in Resource])
    period_start = models.DateTimeField()
    threshold = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "resource", "period_start", "threshold"],
                name="billing_usage_warning_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.resource} {self.threshold}%"

"""Billing state in the public schema: entitlements, usage per period, how new Stripe copies are."""

from datetime import datetime
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from djstripe.models import WebhookEventTrigger

from billing.notices.models import BillingNotice  # noqa: F401 (a model of this app)
from billing.overage.models import OverageEvent  # noqa: F401 (a model of this app)
from billing.overage.rules import CAP_MAX, CAP_MIN
from billing.plans import (
    FREE,
    PAID_PLANS,
    PLAN_CHOICES,
    Currency,
    Interval,
    Plan,
    Resource,
    plan_by_code,
)


class SubscriptionStatus(models.TextChoices):
    NONE = "none", _("No subscription")
    INCOMPLETE = "incomplete", _("Incomplete")
    INCOMPLETE_EXPIRED = "incomplete_expired", _("Incomplete, expired")
    TRIALING = "trialing", _("Trialing")
    ACTIVE = "active", _("Active")
    PAST_DUE = "past_due", _("Past due")
    CANCELED = "canceled", _("Canceled")
    UNPAID = "unpaid", _("Unpaid")
    PAUSED = "paused", _("Paused")


class InvoiceStatus(models.TextChoices):
    """A Stripe invoice's status, as people read it (Stripe's values are lowercase codes)."""

    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    UNCOLLECTIBLE = "uncollectible", _("Uncollectible")
    VOID = "void", _("Void")

    @classmethod
    def label_of(cls, value: str | None) -> str:
        return cls(value).label if value in cls.values else (value or "")


# Statuses of a subscription that still holds the tenant: a second one must not be started.
LIVE_STATUSES = (
    SubscriptionStatus.INCOMPLETE,
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.UNPAID,
    SubscriptionStatus.PAUSED,
)

# Statuses whose subscription is paid for (or being collected): they count in revenue.
REVENUE_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


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
    grace_extended_until = models.DateTimeField(
        null=True, blank=True, help_text="Set by staff: the grace period lasts at least this long."
    )
    cancel_at_period_end = models.BooleanField(default=False)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True)
    comp_plan = models.CharField(
        max_length=20,
        choices=[(plan.code, plan.name) for plan in PAID_PLANS],
        blank=True,
        help_text="A complimentary plan given by staff, without a Stripe subscription.",
    )
    comp_until = models.DateTimeField(null=True, blank=True)
    trial_used_at = models.DateTimeField(
        null=True, blank=True, help_text="When the tenant started its one trial (kept after it)."
    )
    overage_enabled = models.BooleanField(
        default=False, help_text="The tenant's choice: shipments past the limit are billed."
    )
    overage_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text="At most this many extra shipments a period."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(overage_cap__isnull=True)
                | models.Q(overage_cap__gte=CAP_MIN, overage_cap__lte=CAP_MAX),
                name="billing_entitlement_overage_cap_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(overage_enabled=False) | models.Q(overage_cap__isnull=False),
                name="billing_entitlement_overage_has_a_cap",
            ),
            models.CheckConstraint(
                condition=models.Q(comp_plan="", comp_until__isnull=True)
                | (~models.Q(comp_plan="") & models.Q(comp_until__isnull=False)),
                name="billing_entitlement_comp_plan_has_an_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.subscribed_plan} ({self.status})"

    def effective_plan(self, now: datetime) -> Plan:
        """The plan whose limits apply at `now`: the better of what the subscription gives (see
        PRODUCT.md, subscription state) and a complimentary plan still running."""
        paid = self._subscription_plan(now)
        if self.is_comp(now) and plan_by_code(self.comp_plan).rank > paid.rank:
            return plan_by_code(self.comp_plan)
        return paid

    def is_comp(self, now: datetime) -> bool:
        """A complimentary plan is running (it may still be outranked by a paid one)."""
        return bool(self.comp_plan and self.comp_until and now < self.comp_until)

    def on_comp(self, now: datetime) -> bool:
        """The plan in force is the complimentary one: shown as "comp" everywhere."""
        return self.is_comp(now) and self.effective_plan(now).code == self.comp_plan

    def monthly_revenue(self, currency: Currency = Currency.USD) -> Decimal:
        """What the Stripe subscription brings in per month (its MRR) in `currency`, the one it
        is billed in: a yearly price counts a twelfth; trials, complimentary plans and ended
        subscriptions bring nothing."""
        if self.status not in REVENUE_STATUSES or not self.interval:
            return Decimal("0.00")
        plan = plan_by_code(self.subscribed_plan)
        if plan.is_free:
            return Decimal("0.00")
        interval = Interval(self.interval)
        months = 12 if interval == Interval.YEAR else 1
        price = Decimal(plan.amount(interval, currency)).scaleb(-2)
        return (price / months).quantize(Decimal("0.01"))

    def _subscription_plan(self, now: datetime) -> Plan:
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

    @property
    def trial_end(self) -> datetime | None:
        """When the running trial ends (Stripe's current period of a trialing subscription is
        its trial); None when not trialing."""
        return self.period_end if self.status == SubscriptionStatus.TRIALING else None

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


class StripeWebhook(WebhookEventTrigger):
    """dj-stripe's record of each webhook delivery, as platform staff see and reprocess it."""

    class Meta:
        proxy = True
        verbose_name = _("Stripe webhook")
        verbose_name_plural = _("Stripe webhooks")
        permissions = [("reprocess_stripewebhook", "Can reprocess a Stripe webhook")]


class StripeObjectVersion(models.Model):
    """How new dj-stripe's stored copy of one Stripe object is, by the events applied to it.

    The copy is at least as new as `as_of`, the creation time of the newest event applied to it
    (or weighed against it). `digest` hashes the event's object when the copy was taken from that
    event's body ("" when it was read from Stripe): while the stored copy still hashes to it, the
    copy is exactly that event's state, and any later event is newer.
    """

    stripe_id = models.CharField(max_length=255, primary_key=True)
    as_of = models.DateTimeField()
    digest = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.stripe_id} as of {self.as_of:%Y-%m-%d %H:%M:%S}"

"""Writes of billing notices: from a Stripe event, the email to the tenant's admins, once per
Stripe object and kind (the notice row and its email are written in one transaction)."""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from djstripe.models import Customer, Invoice

from billing.notices.models import BillingNotice, NoticeKind
from billing.plans import plan_and_interval_for_lookup_key
from billing.selectors import entitlement_get
from loginexus.accounts.models import Role, User
from loginexus.mail.services import email_send
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.selectors import tenant_url

# The Stripe events that send a notice, and the kind each sends.
NOTICE_EVENTS = {
    "customer.subscription.trial_will_end": NoticeKind.TRIAL_WILL_END,
    "invoice.payment_failed": NoticeKind.PAYMENT_FAILED,
    "invoice.payment_action_required": NoticeKind.PAYMENT_ACTION_REQUIRED,
}
# An invoice paid (or voided) resolves what its notices asked for: the banner goes away.
RESOLVING_EVENTS = ("invoice.paid", "invoice.voided")
# Invoices whose failure leaves the tenant in its grace period: a renewal or a change. The first
# invoice of a subscription fails while the admin is paying (checkout says so at once).
DUNNED_BILLING_REASONS = ("subscription_cycle", "subscription_update")


def _timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _admin_emails(tenant: Tenant) -> list[str]:
    with schema_context(tenant.schema_name):
        return list(
            User.objects.filter(role=Role.ADMIN, is_active=True).values_list("email", flat=True)
        )


def _grace_end(tenant: Tenant, invoice: dict[str, Any]) -> datetime:
    """As the entitlement will have it: BILLING_GRACE_DAYS from the invoice's first charge,
    or later when staff extended it."""
    charged = _timestamp((invoice.get("status_transitions") or {}).get("finalized_at"))
    grace = (charged or timezone.now()) + timedelta(days=settings.BILLING_GRACE_DAYS)
    extended = entitlement_get(tenant=tenant).grace_extended_until
    return max(grace, extended) if extended else grace


def _plan_name(subscription: dict[str, Any]) -> str:
    items = (subscription.get("items") or {}).get("data") or [{}]
    known = plan_and_interval_for_lookup_key((items[0].get("price") or {}).get("lookup_key") or "")
    return known[0].name if known else ""


def _has_card(subscription: dict[str, Any]) -> bool:
    """Whether Stripe has a way to charge at the trial's end: the subscription's method or its
    customer's default, as last synced."""
    if subscription.get("default_payment_method"):
        return True
    stored = (
        Customer.objects.filter(id=subscription.get("customer"))
        .values_list("stripe_data", flat=True)
        .first()
    )
    return bool(((stored or {}).get("invoice_settings") or {}).get("default_payment_method"))


def _invoice_paid(invoice_id: str) -> bool:
    stored = Invoice.objects.filter(id=invoice_id).values_list("stripe_data", flat=True).first()
    return bool(stored) and stored.get("status") == "paid"


def _notice_context(
    tenant: Tenant, kind: NoticeKind, stripe_object: dict[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    """The notice's link and its email's context, or None when the object no longer calls
    for it (the trial is over, the invoice paid meanwhile, a first invoice)."""
    billing_url = f"{tenant_url(tenant=tenant)}billing/"
    if kind == NoticeKind.TRIAL_WILL_END:
        if stripe_object.get("status") != "trialing":
            return None
        return billing_url, {
            "plan_name": _plan_name(stripe_object),
            "trial_end": _timestamp(stripe_object.get("trial_end")),
            "has_card": _has_card(stripe_object),
            "billing_url": billing_url,
        }
    if stripe_object.get("status") != "open" or _invoice_paid(stripe_object["id"]):
        return None
    if (
        kind == NoticeKind.PAYMENT_FAILED
        and stripe_object.get("billing_reason") not in DUNNED_BILLING_REASONS
    ):
        return None
    link = stripe_object.get("hosted_invoice_url") or billing_url
    return link, {
        "invoice_url": link,
        "amount": stripe_object.get("amount_remaining") or stripe_object.get("amount_due") or 0,
        "currency": stripe_object.get("currency") or "usd",
        "grace_end": _grace_end(tenant, stripe_object),
        "billing_url": billing_url,
    }


def notices_resolve(*, stripe_id: str) -> int:
    """What the object's notices asked for is done (its invoice paid or voided)."""
    return BillingNotice.objects.filter(stripe_id=stripe_id, resolved_at=None).update(
        resolved_at=timezone.now()
    )


@transaction.atomic
def notice_for_event(
    *, tenant: Tenant | None, event_type: str, stripe_object: dict[str, Any]
) -> BillingNotice | None:
    """The notice a Stripe event calls for, written and emailed to the tenant's active admins
    if it was not sent already. None when nothing new was sent."""
    if tenant is None:
        return None
    kind = NOTICE_EVENTS.get(event_type)
    if (
        kind is None
        or BillingNotice.objects.filter(stripe_id=stripe_object["id"], kind=kind).exists()
    ):
        return None
    found = _notice_context(tenant, kind, stripe_object)
    if found is None:
        return None
    link, context = found
    notice, created = BillingNotice.objects.get_or_create(
        stripe_id=stripe_object["id"], kind=kind, defaults={"tenant": tenant, "link": link}
    )
    if not created:
        return None
    email_send(
        to=_admin_emails(tenant),
        template=f"billing_{kind}",
        tenant=tenant,
        context=context,
    )
    return notice

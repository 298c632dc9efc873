"""Reads of billing notices: what the banners on tenant pages link to."""

from billing.models import Entitlement, SubscriptionStatus
from billing.notices.models import BillingNotice, NoticeKind

# Statuses in which an invoice can be awaiting 3-D Secure (a renewal's, or the first one's).
AWAITING_STATUSES = (SubscriptionStatus.PAST_DUE, SubscriptionStatus.INCOMPLETE)


def authentication_link(*, entitlement: Entitlement) -> str | None:
    """The hosted invoice page where the admin confirms a payment awaiting 3-D Secure, while
    one does (no query unless the subscription is past due or incomplete)."""
    if entitlement.status not in AWAITING_STATUSES or entitlement.tenant_id is None:
        return None
    return (
        BillingNotice.objects.filter(
            tenant_id=entitlement.tenant_id,
            kind=NoticeKind.PAYMENT_ACTION_REQUIRED,
            resolved_at=None,
        )
        .values_list("link", flat=True)
        .first()
    )

"""Template context on tenant hosts: the tenant's plan and the banners of a payment due, a
payment awaiting 3-D Secure and a running trial."""

import math

from django.db import connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from billing.models import SubscriptionStatus
from billing.notices.selectors import authentication_link
from billing.selectors import entitlement_get


def billing(request) -> dict:
    tenant = getattr(connection, "tenant", None)
    user = getattr(request, "user", None)
    if tenant is None or tenant.schema_name == get_public_schema_name():
        return {}
    if not (user and user.is_authenticated):
        return {}
    entitlement = getattr(request, "entitlement", None) or entitlement_get(tenant=tenant)
    now = timezone.now()
    return {
        "billing_plan": entitlement.effective_plan(now),
        "billing_on_comp": entitlement.on_comp(now),
        "billing_past_due": entitlement.status == SubscriptionStatus.PAST_DUE,
        "billing_grace_until": entitlement.grace_until if entitlement.in_grace(now) else None,
        "billing_trial_days_left": _days_left(entitlement.trial_end, now),
        "billing_authentication_url": authentication_link(entitlement=entitlement),
    }


def _days_left(end, now) -> int | None:
    """Whole days until `end`, a part of a day counting as one (None without an end)."""
    if end is None:
        return None
    return max(0, math.ceil((end - now).total_seconds() / 86400))

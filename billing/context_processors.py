"""Template context on tenant hosts: the tenant's plan and, while a payment is due, the banner."""

from django.db import connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from billing.models import SubscriptionStatus
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
    }

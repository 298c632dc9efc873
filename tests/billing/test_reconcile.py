"""The safety net: tenants re-read from Stripe itself when no event told us what happened."""

from datetime import timedelta

import pytest
import stripe
from django.db.models.expressions import RawSQL
from django.utils import timezone

from billing.limits import ROW_VERSION
from billing.models import Entitlement
from billing.plans import FREE, PRO
from billing.selectors import entitlements_to_reconcile
from billing.services import entitlement_reconcile, entitlement_refresh
from billing.stripe.catalog import plans_sync
from tests.billing.test_api import live_subscription

pytestmark = pytest.mark.django_db


def test_overdue_selection_takes_ended_periods_and_graces_only(tenant_a, tenant_b):
    now = timezone.now()
    ended = Entitlement.objects.create(
        tenant=tenant_a, subscribed_plan="pro", status="active", stripe_subscription_id="sub_a",
        period_start=now - timedelta(days=31), period_end=now - timedelta(hours=1),
    )  # fmt: skip
    Entitlement.objects.create(
        tenant=tenant_b, subscribed_plan="pro", status="active", stripe_subscription_id="sub_b",
        period_start=now - timedelta(days=1), period_end=now + timedelta(days=29),
    )  # fmt: skip
    assert list(entitlements_to_reconcile(overdue_at=now)) == [ended]
    assert entitlements_to_reconcile().count() == 2


def test_reconcile_reads_the_subscription_from_stripe_itself(tenant_a, sim, stripe_module):
    plans_sync()
    subscription = live_subscription(tenant_a)
    assert entitlement_refresh(tenant=tenant_a).effective_plan(timezone.now()) == PRO
    stripe.Subscription.cancel(subscription.id)  # no webhook endpoint: nobody told us

    entitlement = entitlement_reconcile(tenant=tenant_a)
    assert entitlement.status == "canceled"
    assert entitlement.effective_plan(timezone.now()) == FREE


def row_version(tenant) -> str:
    return (
        Entitlement.objects.filter(tenant=tenant)
        .annotate(version=RawSQL(ROW_VERSION, ()))  # noqa: S611 (a constant)
        .values_list("version", flat=True)
        .get()
    )


def test_a_refresh_that_finds_nothing_changed_keeps_the_row_as_it_was(tenant_a, sim, stripe_module):
    plans_sync()
    live_subscription(tenant_a)
    entitlement_refresh(tenant=tenant_a)
    staff_comp = {"comp_plan": "enterprise", "comp_until": timezone.now() + timedelta(days=30)}
    Entitlement.objects.filter(tenant=tenant_a).update(**staff_comp)
    version = row_version(tenant_a)

    entitlement = entitlement_refresh(tenant=tenant_a)

    assert row_version(tenant_a) == version  # the limit checks' copies stay valid
    assert (entitlement.subscribed_plan, entitlement.comp_plan) == ("pro", "enterprise")

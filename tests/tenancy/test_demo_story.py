"""The demo tells a story (PRODUCT.md, "Development server and demo"): a team of three and a
pending invitation, a Pro subscription with two paid invoices, about 20 shipments in every
status with histories, escrows in every status, and one resource past 80 % of its limit."""

import pytest
import stripe
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.plans import Resource
from billing.selectors import (
    entitlement_get,
    subscription_facts_get,
    usage_get,
    usage_warnings,
)
from billing.stripe.catalog import plans_sync
from escrows.models import Escrow, EscrowStatus
from loginexus.accounts.models import Invitation
from loginexus.tenancy.demo.story import demo_story_seed
from loginexus.tenancy.demo.subscription import demo_subscription_ensure
from shipments.models import Shipment, ShipmentEvent, ShipmentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def told(sim, stripe_module, tenant_a):
    plans_sync()
    assert demo_subscription_ensure(tenant=tenant_a) is True
    assert demo_story_seed(tenant=tenant_a) is True
    return tenant_a


def test_the_demo_is_on_pro_with_two_paid_invoices(told):
    entitlement = entitlement_get(tenant=told)
    assert entitlement.effective_plan(timezone.now()).code == "pro"
    facts = subscription_facts_get(tenant=told)
    invoices = stripe.Invoice.list(subscription=facts.id).data
    assert sorted(invoice.status for invoice in invoices) == ["paid", "paid"]
    assert all(invoice.amount_paid == 4900 for invoice in invoices)
    assert entitlement.period_start < timezone.now() < entitlement.period_end


def test_the_demo_has_a_team_of_three_and_a_pending_invitation(told):
    with schema_context(told.schema_name):
        assert get_user_model().objects.filter(is_active=True).count() == 3
        assert Invitation.objects.filter(accepted_at__isnull=True).count() == 1


def test_shipments_and_escrows_in_every_status_with_histories(told):
    with schema_context(told.schema_name):
        assert 18 <= Shipment.objects.count() <= 22
        assert set(Shipment.objects.values_list("status", flat=True)) == set(ShipmentStatus.values)
        assert set(Escrow.objects.values_list("status", flat=True)) == set(EscrowStatus.values)
        delivered = Shipment.objects.filter(status="delivered").first()
        history = list(ShipmentEvent.objects.filter(shipment=delivered).order_by("created_at"))
        assert [event.to_status for event in history] == [
            "draft",
            "booked",
            "in_transit",
            "delivered",
        ]
        assert history[0].created_at < history[-1].created_at <= timezone.now()


def test_one_resource_is_past_80_percent_so_the_warning_shows(told):
    entitlement = entitlement_get(tenant=told)
    usage = usage_get(tenant=told, entitlement=entitlement, now=timezone.now())
    warned = {warning.resource: warning.usage for warning in usage_warnings(usage=usage)}
    assert Resource.ESCROWS in warned
    assert 80 <= warned[Resource.ESCROWS].percent < 100


def test_telling_it_again_keeps_what_is_there(told):
    with schema_context(told.schema_name):
        before = (Shipment.objects.count(), Escrow.objects.count())
    assert demo_story_seed(tenant=told) is False
    assert demo_subscription_ensure(tenant=told) is False
    with schema_context(told.schema_name):
        assert (Shipment.objects.count(), Escrow.objects.count()) == before

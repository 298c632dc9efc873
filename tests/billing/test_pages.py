"""Billing pages of a tenant host, the public pricing page, and the past-due banner."""

from datetime import timedelta

import pytest
import stripe
from django.utils import timezone

from billing.models import Entitlement
from billing.services import entitlement_refresh
from billing.stripe.catalog import plans_sync
from tests.billing.helpers import clear_faults, fault
from tests.billing.test_api import live_subscription
from tests.conftest import host_client, logged_in, tenant_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_ready(sim, stripe_module):
    plans_sync()
    return sim


def test_billing_page_shows_plan_status_period_and_usage_bars(admin_client_a):
    response = admin_client_a.get("/billing/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Free plan" in body
    assert "No subscription" in body
    assert body.count('class="usage"') == 3
    assert "0 / 50" in body and "0 / 5" in body and "1 / 3" in body
    assert "No invoices yet." in body
    assert "Upgrade" in body


@pytest.mark.parametrize(
    "path", ["/billing/", "/billing/pricing/", "/billing/success/", "/billing/canceled/"]
)
def test_members_get_403_on_billing_pages(client_a, tenant_a, path):
    member = tenant_user(tenant_a, email="member@alpha.example")
    assert logged_in(client_a, tenant_a, member).get(path).status_code == 403


def test_anonymous_visitors_are_sent_to_login(client_a):
    response = client_a.get("/billing/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_pricing_offers_checkout_per_paid_plan_and_marks_free_as_current(admin_client_a):
    body = admin_client_a.get("/billing/pricing/?interval=year").content.decode()
    assert body.count('class="card plan') == 3
    assert "Current plan" in body
    assert body.count('action="/billing/checkout/"') == 2
    assert "$490" in body and "$1,990" in body


def test_pricing_button_sends_the_admin_to_stripe_checkout(admin_client_a, stripe_ready):
    response = admin_client_a.post("/billing/checkout/", {"plan": "pro", "interval": "month"})
    assert response.status_code == 302
    assert response["Location"].startswith(stripe_ready.url + "/checkout/cs_")


def test_pricing_with_a_live_subscription_offers_changes_with_a_proration_preview(
    admin_client_a, tenant_a, stripe_ready
):
    live_subscription(tenant_a)
    entitlement_refresh(tenant=tenant_a)
    body = admin_client_a.get("/billing/pricing/?interval=month").content.decode()
    assert "Current plan" in body
    assert "/billing/change/?plan=enterprise&amp;interval=month" in body
    assert 'action="/billing/checkout/"' not in body

    preview = admin_client_a.get("/billing/change/?plan=enterprise&interval=month")
    assert preview.status_code == 200
    assert '<dt>Due now</dt><dd class="price"><strong>$' in preview.content.decode()
    assert "USD" not in preview.content.decode()

    confirmed = admin_client_a.post("/billing/change/", {"plan": "enterprise", "interval": "month"})
    assert confirmed.status_code == 302
    assert Entitlement.objects.get(tenant=tenant_a).subscribed_plan == "enterprise"


def test_checkout_page_while_stripe_is_down_shows_a_503_page(admin_client_a, stripe_ready):
    fault(stripe_ready, "500")
    try:
        response = admin_client_a.post("/billing/checkout/", {"plan": "pro", "interval": "month"})
    finally:
        clear_faults(stripe_ready)
    assert response.status_code == 503
    assert "Payments are unavailable right now" in response.content.decode()


def test_success_page_waits_for_the_webhook_and_canceled_page_says_nothing_was_charged(
    admin_client_a,
):
    success = admin_client_a.get("/billing/success/?session_id=cs_123").content.decode()
    assert 'data-state-url="/api/v1/billing/"' in success
    assert "checkout_success.js" in success
    assert "Nothing was charged" in admin_client_a.get("/billing/canceled/").content.decode()


def test_public_pricing_page_lists_the_plans(public_client):
    body = public_client.get("/pricing/").content.decode()
    assert "Free" in body and "Pro" in body and "Enterprise" in body
    assert "$49" in body and "$199" in body
    assert "Start free" in body


def test_past_due_banner_shows_on_every_tenant_page(admin_client_a, tenant_a):
    Entitlement.objects.create(
        tenant=tenant_a,
        subscribed_plan="pro",
        status="past_due",
        grace_until=timezone.now() + timedelta(days=5),
    )
    for path in ("/", "/billing/"):
        body = admin_client_a.get(path).content.decode()
        assert "Your last payment failed." in body
        assert "Fix the payment" in body


def test_no_banner_for_a_paying_tenant_in_good_standing(admin_client_a, tenant_a):
    Entitlement.objects.create(tenant=tenant_a, subscribed_plan="pro", status="active")
    assert "Your last payment failed." not in admin_client_a.get("/").content.decode()


def test_billing_page_never_shows_the_secret_key(admin_client_a, settings, stripe_ready):
    assert settings.STRIPE_SECRET_KEY not in admin_client_a.get("/billing/").content.decode()
    assert stripe.api_key not in host_client("localhost").get("/pricing/").content.decode()


def test_members_see_their_plan_on_the_dashboard_but_no_billing_link(client_a, tenant_a):
    Entitlement.objects.create(tenant=tenant_a, subscribed_plan="pro", status="active")
    member = tenant_user(tenant_a, email="member@alpha.example")
    body = logged_in(client_a, tenant_a, member).get("/").content.decode()
    assert "Plan: <strong>Pro</strong>" in body
    assert 'href="/billing/"' not in body

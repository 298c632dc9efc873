"""The billing API of a tenant host: shapes, permissions, validation, conflicts, outages."""

import json
from datetime import timedelta

import pytest
import stripe
from django.utils import timezone
from djstripe.models import Customer, Invoice, Subscription

from billing.models import Entitlement
from billing.selectors import calendar_month
from billing.stripe.catalog import plans_sync
from loginexus.tenancy.models import Tenant
from tests.billing.helpers import clear_faults, fault
from tests.conftest import logged_in, tenant_user

pytestmark = pytest.mark.django_db

ADMIN_ENDPOINTS = [
    ("get", "/api/v1/billing/"),
    ("post", "/api/v1/billing/checkout/"),
    ("post", "/api/v1/billing/change-plan/"),
    ("post", "/api/v1/billing/cancel/"),
    ("post", "/api/v1/billing/resume/"),
    ("post", "/api/v1/billing/portal/"),
    ("get", "/api/v1/billing/invoices/"),
]


@pytest.fixture
def stripe_ready(sim, stripe_module):
    plans_sync()
    return sim


def post(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def live_subscription(tenant, lookup_key="pro_monthly"):
    """A paid subscription for the tenant, made in the simulator and synced into dj-stripe."""
    customer = stripe.Customer.create(
        email=tenant.email, metadata={"djstripe_subscriber": str(tenant.pk)}
    )
    Customer.sync_from_stripe_data(customer)
    price = stripe.Price.list(lookup_keys=[lookup_key]).data[0]
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], default_payment_method="pm_card_visa"
    )
    return Subscription.sync_from_stripe_data(subscription)


def test_billing_state_of_a_free_tenant(admin_client_a, tenant_a):
    response = admin_client_a.get("/api/v1/billing/")
    assert response.status_code == 200
    start, end = calendar_month(timezone.now())
    assert response.json() == {
        "plan": "free",
        "status": "none",
        "interval": None,
        "period_start": start.isoformat().replace("+00:00", "Z"),
        "period_end": end.isoformat().replace("+00:00", "Z"),
        "grace_until": None,
        "cancel_at_period_end": False,
        "trial_end": None,
        "comp_until": None,
        "usage": {
            "shipments": {"used": 0, "limit": 50},
            "escrows": {"used": 0, "limit": 5},
            "users": {"used": 1, "limit": 3},
        },
        "scheduled_change": None,
        "overage": {
            "enabled": False,
            "cap": None,
            "used": 0,
            "unit_amount": 4,
            "currency": "usd",
            "estimated": {"amount": 0, "currency": "usd"},
        },
    }


def test_past_due_tenant_in_grace_keeps_its_plan_and_shows_grace(admin_client_a, tenant_a):
    grace = timezone.now() + timedelta(days=3)
    Entitlement.objects.create(
        tenant=tenant_a,
        subscribed_plan="pro",
        status="past_due",
        interval="month",
        period_start=timezone.now() - timedelta(days=2),
        period_end=timezone.now() + timedelta(days=28),
        grace_until=grace,
    )
    body = admin_client_a.get("/api/v1/billing/").json()
    assert (body["plan"], body["status"]) == ("pro", "past_due")
    assert body["grace_until"] == grace.isoformat().replace("+00:00", "Z")
    assert body["usage"]["shipments"]["limit"] == 2000


@pytest.mark.parametrize(("method", "path"), ADMIN_ENDPOINTS)
def test_members_get_403_on_billing(client_a, tenant_a, method, path):
    member = tenant_user(tenant_a, email="member@alpha.example")
    response = getattr(logged_in(client_a, tenant_a, member), method)(path)
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "path"), ADMIN_ENDPOINTS)
def test_anonymous_callers_get_401_on_billing(client_a, method, path):
    assert getattr(client_a, method)(path).status_code == 401


def test_plans_are_listed_from_the_one_definition(client_a, tenant_a):
    member = tenant_user(tenant_a, email="member@alpha.example")
    response = logged_in(client_a, tenant_a, member).get("/api/v1/billing/plans/")
    assert response.status_code == 200
    plans = {plan["code"]: plan for plan in response.json()}
    assert list(plans) == ["free", "pro", "enterprise"]
    assert plans["pro"]["prices"] == {"month": "49.00", "year": "490.00"}
    assert plans["enterprise"]["limits"] == {"shipments": None, "escrows": None, "users": None}
    assert plans["free"]["limits"] == {"shipments": 50, "escrows": 5, "users": 3}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"plan", "interval"}),
        ({"plan": "free", "interval": "month"}, {"plan"}),
        ({"plan": "gold", "interval": "month"}, {"plan"}),
        ({"plan": "pro", "interval": "week"}, {"interval"}),
        ({"plan": ["pro"], "interval": 12}, {"plan", "interval"}),
    ],
)
def test_checkout_validates_its_fields(admin_client_a, body, fields):
    response = post(admin_client_a, "/api/v1/billing/checkout/", body)
    assert response.status_code == 400
    assert set(response.json()) == fields


def test_checkout_answers_400_on_malformed_json(admin_client_a):
    response = admin_client_a.post(
        "/api/v1/billing/checkout/", "{nope", content_type="application/json"
    )
    assert response.status_code == 400


def test_checkout_opens_a_stripe_session_and_creates_the_customer_once(
    admin_client_a, tenant_a, stripe_ready
):
    first = post(admin_client_a, "/api/v1/billing/checkout/", {"plan": "pro", "interval": "year"})
    assert first.status_code == 201
    body = first.json()
    assert body["url"].startswith(stripe_ready.url + "/checkout/")
    session = stripe.checkout.Session.retrieve(body["session_id"])
    assert session.success_url == (
        "http://alpha.localhost:8000/billing/success/?session_id={CHECKOUT_SESSION_ID}"
    )
    assert session.cancel_url == "http://alpha.localhost:8000/billing/canceled/"
    customer = Customer.objects.get(subscriber=tenant_a)
    assert customer.stripe_data["metadata"]["tenant_slug"] == "alpha"
    assert session.customer == customer.id

    second = post(admin_client_a, "/api/v1/billing/checkout/", {"plan": "pro", "interval": "month"})
    assert second.status_code == 201
    assert Customer.objects.filter(subscriber=tenant_a).count() == 1
    assert len(stripe.Customer.list().data) == 1


def test_checkout_of_a_workspace_without_a_billing_email_makes_a_customer_without_one(
    admin_client_a, tenant_a, stripe_ready
):
    """Staff may clear the billing email; Stripe refuses an empty one, so none is sent."""
    Tenant.objects.filter(pk=tenant_a.pk).update(email="")
    response = post(
        admin_client_a, "/api/v1/billing/checkout/", {"plan": "pro", "interval": "month"}
    )
    assert response.status_code == 201, response.json()
    customer = stripe.Customer.retrieve(Customer.objects.get(subscriber=tenant_a).id)
    assert (customer.email, customer.name) == (None, tenant_a.name)


def test_checkout_with_a_live_subscription_answers_409(admin_client_a, tenant_a, stripe_ready):
    live_subscription(tenant_a)
    response = post(
        admin_client_a, "/api/v1/billing/checkout/", {"plan": "enterprise", "interval": "month"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "subscription_exists"
    assert len(stripe.checkout.Session.list().data) == 0


def test_checkout_while_stripe_is_down_answers_503_and_leaves_no_customer(
    admin_client_a, tenant_a, stripe_ready
):
    fault(stripe_ready, "500")
    try:
        response = post(
            admin_client_a, "/api/v1/billing/checkout/", {"plan": "pro", "interval": "month"}
        )
    finally:
        clear_faults(stripe_ready)
    assert response.status_code == 503
    assert response.json()["code"] == "stripe_unavailable"
    assert "sk_test" not in response.content.decode()
    assert not Customer.objects.filter(subscriber=tenant_a).exists()


def test_change_plan_cancel_and_resume_without_a_subscription_answer_409(
    admin_client_a, stripe_ready
):
    for path, body in [
        ("/api/v1/billing/change-plan/", {"plan": "enterprise", "interval": "month"}),
        ("/api/v1/billing/cancel/", {}),
        ("/api/v1/billing/resume/", {}),
    ]:
        response = post(admin_client_a, path, body)
        assert response.status_code == 409
        assert response.json()["code"] == "no_subscription"


def test_change_plan_swaps_the_live_subscription(admin_client_a, tenant_a, stripe_ready):
    subscription = live_subscription(tenant_a)
    response = post(
        admin_client_a, "/api/v1/billing/change-plan/", {"plan": "enterprise", "interval": "year"}
    )
    assert response.status_code == 200
    assert (response.json()["plan"], response.json()["interval"]) == ("enterprise", "year")
    items = stripe.Subscription.retrieve(subscription.id)["items"]["data"]
    assert [item["price"]["lookup_key"] for item in items] == ["enterprise_yearly"]
    assert len(stripe.Subscription.list().data) == 1


def test_change_to_free_cancels_at_period_end_and_resume_clears_it(
    admin_client_a, tenant_a, stripe_ready
):
    live_subscription(tenant_a)
    response = post(
        admin_client_a, "/api/v1/billing/change-plan/", {"plan": "free", "interval": "month"}
    )
    assert response.status_code == 200
    assert response.json()["cancel_at_period_end"] is True
    assert response.json()["plan"] == "pro"
    resumed = post(admin_client_a, "/api/v1/billing/resume/")
    assert resumed.status_code == 200
    assert resumed.json()["cancel_at_period_end"] is False


def test_portal_returns_the_session_url(admin_client_a, stripe_ready):
    response = post(admin_client_a, "/api/v1/billing/portal/")
    assert response.status_code == 200
    assert response.json()["url"].startswith(stripe_ready.url + "/portal/")


def test_invoices_are_listed_with_links(admin_client_a, tenant_a, stripe_ready):
    subscription = live_subscription(tenant_a)
    invoice = stripe.Invoice.retrieve(stripe.Subscription.retrieve(subscription.id).latest_invoice)
    Invoice.sync_from_stripe_data(invoice)
    response = admin_client_a.get("/api/v1/billing/invoices/")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    listed = body["results"][0]
    assert listed["id"] == invoice.id
    assert (listed["amount_paid"], listed["currency"], listed["status"]) == (4900, "usd", "paid")
    assert listed["hosted_invoice_url"] == invoice.hosted_invoice_url
    assert listed["invoice_pdf"] == invoice.invoice_pdf


def test_no_secret_key_in_billing_answers(admin_client_a, stripe_ready, settings):
    for path in ("/api/v1/billing/", "/api/v1/billing/plans/", "/api/v1/billing/invoices/"):
        assert settings.STRIPE_SECRET_KEY not in admin_client_a.get(path).content.decode()

"""Trials: 14 days of a paid plan without a card, once per workspace; the reminder three days
before the end; Free at the end without a card, billed with one; the banner meanwhile."""

import json
import re
from datetime import datetime, timedelta

import pytest
import requests
import stripe
from django.utils import timezone
from django_tenants.utils import schema_context
from djstripe.models import Subscription

from billing.models import Entitlement
from billing.notices.models import BillingNotice, NoticeKind
from billing.plans import FREE, PRO
from billing.services import entitlement_refresh
from billing.stripe.catalog import plans_sync
from billing.trials.services import trial_start
from loginexus.audit.models import AuditEntry
from tests.billing.helpers import clear_faults, entitlement_of, fault, post_event, settled, wait_for
from tests.billing.test_api import live_subscription
from tests.conftest import logged_in, tenant_user

DAY = 86400


@pytest.fixture
def stripe_ready(db, sim, stripe_module):
    plans_sync()
    return sim


def post(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def start_trial(client, plan="pro"):
    return post(client, "/api/v1/billing/trial/", {"plan": plan})


def advance(sim, days: float) -> None:
    answer = requests.post(f"{sim.url}/_sim/advance", json={"days": days}, timeout=30)
    assert answer.status_code == 200, answer.text


def test_a_trial_gives_pro_for_14_days_with_no_card_and_stripe_cancels_it_if_none_comes(
    admin_client_a, tenant_a, stripe_ready
):
    before = timezone.now()
    response = start_trial(admin_client_a)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["plan"], body["status"], body["interval"]) == ("pro", "trialing", "month")
    assert body["usage"]["shipments"]["limit"] == 2000
    trial_end = datetime.fromisoformat(body["trial_end"])
    assert before + timedelta(days=14) - timedelta(minutes=1) < trial_end
    assert trial_end < timezone.now() + timedelta(days=14, minutes=1)

    entitlement = Entitlement.objects.get(tenant=tenant_a)
    assert before <= entitlement.trial_used_at <= timezone.now()
    remote = stripe.Subscription.retrieve(entitlement.stripe_subscription_id)
    assert remote.status == "trialing" and remote.trial_end == int(trial_end.timestamp())
    assert remote.trial_settings.end_behavior.missing_payment_method == "cancel"
    assert remote.payment_settings.save_default_payment_method == "on_subscription"
    assert remote.default_payment_method is None
    customer = stripe.Customer.retrieve(remote.customer)
    assert customer.invoice_settings.default_payment_method is None
    with schema_context(tenant_a.schema_name):
        assert AuditEntry.objects.filter(action="billing.trial_started").count() == 1


def test_a_second_trial_is_refused_even_after_the_first_subscription_ended(
    admin_client_a, tenant_a, stripe_ready
):
    assert start_trial(admin_client_a).status_code == 201
    entitlement = Entitlement.objects.get(tenant=tenant_a)
    Subscription.sync_from_stripe_data(
        stripe.Subscription.cancel(entitlement.stripe_subscription_id)
    )
    assert entitlement_refresh(tenant=tenant_a).status == "canceled"

    again = start_trial(admin_client_a, "enterprise")
    assert again.status_code == 409
    assert again.json()["code"] == "trial_used"
    assert len(stripe.Subscription.list(status="all").data) == 1
    assert admin_client_a.get("/api/v1/billing/").json()["trial_end"] is None


def test_a_workspace_with_a_live_subscription_gets_no_trial(admin_client_a, tenant_a, stripe_ready):
    live_subscription(tenant_a)
    entitlement_refresh(tenant=tenant_a)
    response = start_trial(admin_client_a)
    assert response.status_code == 409
    assert response.json()["code"] == "subscription_exists"
    assert Entitlement.objects.get(tenant=tenant_a).trial_used_at is None
    assert len(stripe.Subscription.list().data) == 1


@pytest.mark.parametrize(
    ("body", "field"), [({"plan": "free"}, "plan"), ({}, "plan"), ({"plan": "gold"}, "plan")]
)
def test_a_trial_needs_a_paid_plan(admin_client_a, tenant_a, stripe_ready, body, field):
    response = post(admin_client_a, "/api/v1/billing/trial/", body)
    assert response.status_code == 400
    assert field in response.json()
    assert not Entitlement.objects.filter(tenant=tenant_a, trial_used_at__isnull=False).exists()
    assert stripe.Subscription.list().data == []


def test_members_cannot_start_a_trial(client_a, tenant_a, stripe_ready):
    member = logged_in(client_a, tenant_a, tenant_user(tenant_a))
    response = start_trial(member)
    assert response.status_code == 403
    assert stripe.Subscription.list().data == []


def test_a_trial_while_stripe_is_down_answers_503_and_leaves_the_trial_unused(
    admin_client_a, tenant_a, stripe_ready
):
    fault(stripe_ready, "500", after=1)  # the customer is made; the subscription fails
    try:
        response = start_trial(admin_client_a)
    finally:
        clear_faults(stripe_ready)
    assert response.status_code == 503
    assert response.json()["code"] == "stripe_unavailable"
    assert not Entitlement.objects.filter(tenant=tenant_a, trial_used_at__isnull=False).exists()
    assert stripe.Subscription.list().data == []
    assert start_trial(admin_client_a).status_code == 201


def test_the_pricing_page_offers_the_trial_until_it_is_used(admin_client_a, tenant_a, stripe_ready):
    page = admin_client_a.get("/billing/pricing/").content.decode()
    assert "Start a 14-day Pro trial" in page and "Start a 14-day Enterprise trial" in page

    answer = admin_client_a.post("/billing/trial/", {"plan": "pro", "interval": "month"})
    assert answer.status_code == 302 and answer["Location"] == "/billing/"
    assert Entitlement.objects.get(tenant=tenant_a).status == "trialing"
    page = admin_client_a.get("/billing/pricing/").content.decode()
    assert "14-day" not in page


def test_every_page_shows_the_days_left_of_the_trial(admin_client_a, tenant_a, stripe_ready):
    assert start_trial(admin_client_a).status_code == 201
    dashboard = admin_client_a.get("/").content.decode()
    assert re.search(r"Trial: 14 days left\.", dashboard)
    assert 'action="/billing/portal/"' in dashboard
    Entitlement.objects.filter(tenant=tenant_a).update(
        period_end=timezone.now() + timedelta(hours=5)
    )
    assert "Trial: 1 day left." in admin_client_a.get("/shipments/").content.decode()


def test_a_member_sees_the_trial_banner_without_the_card_button(client_a, tenant_a, stripe_ready):
    trial_start(tenant=tenant_a, plan=PRO)
    member = logged_in(client_a, tenant_a, tenant_user(tenant_a))
    page = member.get("/").content.decode()
    assert "Trial: 14 days left." in page
    assert "Ask an admin of your workspace to add a card" in page
    assert 'action="/billing/portal/"' not in page


# -- through time, with Stripe's webhooks, the worker and the outbox ----------------------------


def test_three_days_before_the_end_the_admins_get_one_email_with_the_card_link(
    billing_ready, committed_tenant, sim, mailbox, web_server
):
    entitlement = trial_start(tenant=committed_tenant, plan=PRO)
    settled(sim)
    advance(sim, 10.9)
    settled(sim)
    assert mailbox.messages() == []
    advance(sim, 0.2)
    settled(sim)
    (message,) = wait_for(mailbox.messages, message="no trial reminder was sent")
    assert message["To"] == f"admin@{committed_tenant.slug}.example"
    assert message["Subject"].startswith(f"LogiNexus: the trial of {committed_tenant.name} ends on")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "your Pro trial ends on" in text
    assert "without one the workspace moves to the Free plan" in text
    assert f"Add a card: http://{committed_tenant.slug}.localhost:8000/billing/" in text
    assert BillingNotice.objects.get(kind=NoticeKind.TRIAL_WILL_END).stripe_id == (
        entitlement.stripe_subscription_id
    )

    # The same reminder delivered again sends nothing more.
    event = stripe.Event.list(type="customer.subscription.trial_will_end").data[0]
    event_dict = event.to_dict()
    event_dict["id"] = "evt_again_" + event.id[4:]
    assert post_event(web_server, billing_ready, event_dict).status_code == 200
    settled(sim)
    assert len(mailbox.messages()) == 1
    assert BillingNotice.objects.count() == 1


def test_at_the_end_without_a_card_the_subscription_is_canceled_and_the_tenant_is_on_free(
    billing_ready, committed_tenant, sim
):
    trial_start(tenant=committed_tenant, plan=PRO)
    settled(sim)
    advance(sim, 14.1)
    settled(sim)
    entitlement = entitlement_of(committed_tenant)
    assert entitlement.status == "canceled"
    assert entitlement.effective_plan(timezone.now()) == FREE
    assert entitlement.trial_end is None and entitlement.trial_used_at is not None
    remote = stripe.Subscription.retrieve(entitlement.stripe_subscription_id)
    assert remote.status == "canceled"
    assert [invoice.total for invoice in stripe.Invoice.list().data] == [0]
    types = [event.type for event in stripe.Event.list(limit=100).data]
    assert types[0] == "customer.subscription.deleted"


def test_at_the_end_with_a_card_from_the_portal_the_plan_is_billed_and_stays(
    billing_ready, committed_tenant, sim, mailbox
):
    from billing.services import billing_portal_start

    trial_start(tenant=committed_tenant, plan=PRO)
    settled(sim)
    portal = billing_portal_start(tenant=committed_tenant, return_url="http://x.localhost/")
    answer = requests.post(
        portal,
        data={"action": "update_card", "card": "pm_card_visa"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    advance(sim, 14.1)
    settled(sim)
    entitlement = entitlement_of(committed_tenant)
    assert (entitlement.status, entitlement.subscribed_plan) == ("active", "pro")
    assert entitlement.effective_plan(timezone.now()) == PRO
    renewal = stripe.Invoice.retrieve(
        stripe.Subscription.retrieve(entitlement.stripe_subscription_id).latest_invoice
    )
    assert (renewal.status, renewal.amount_paid) == ("paid", 4900)
    (reminder,) = wait_for(mailbox.messages, message="no trial reminder was sent")
    text = reminder.get_body(preferencelist=("plain",)).get_content()
    assert "The plan then continues and your card is charged; there is nothing to do." in text
    assert "Add a card" not in text


def test_the_trial_banner_counts_in_german(admin_client_a, tenant_a, stripe_ready):
    assert start_trial(admin_client_a).status_code == 201
    page = admin_client_a.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Testphase: noch 14 Tage." in page
    assert "Karte hinterlegen, um den Tarif zu behalten" in page
    Entitlement.objects.filter(tenant=tenant_a).update(
        period_end=timezone.now() + timedelta(hours=5)
    )
    assert (
        "Testphase: noch 1 Tag."
        in admin_client_a.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    )

"""Billing across real parts: the simulator's hosted pages and clocks, its signed webhooks to our
live web server, triggers stored by our view, a real Celery worker applying them via dj-stripe."""

import random
import time
from datetime import timedelta

import pytest
import requests
import stripe
from django.utils import timezone
from djstripe.models import Customer, Event, WebhookEventTrigger

from billing.exceptions import StripeUnavailable
from billing.limits import plan_limit_reserve
from billing.models import Entitlement, UsageCounter
from billing.plan_changes.services import plan_change
from billing.plans import ENTERPRISE, FREE, PRO, Interval, Resource
from billing.selectors import usage_get
from billing.services import subscription_cancel_at_period_end, subscription_resume
from tests.billing.helpers import (
    checkout,
    clear_faults,
    entitlement_of,
    fault,
    pay,
    post_event,
    settled,
    subscribe,
    wait_for,
)


def stripe_subscription(entitlement: Entitlement):
    return stripe.Subscription.retrieve(entitlement.stripe_subscription_id)


def test_paid_checkout_puts_the_tenant_on_pro_with_stripes_period(
    billing_ready, committed_tenant, sim
):
    url, session_id = checkout(committed_tenant, PRO)
    answer = pay(url)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"session_id={session_id}")
    settled(sim)

    entitlement = entitlement_of(committed_tenant)
    item = stripe_subscription(entitlement)["items"]["data"][0]
    assert (entitlement.subscribed_plan, entitlement.status, entitlement.interval) == (
        "pro",
        "active",
        "month",
    )
    assert entitlement.effective_plan(timezone.now()) == PRO
    assert int(entitlement.period_start.timestamp()) == item["current_period_start"]
    assert int(entitlement.period_end.timestamp()) == item["current_period_end"]
    customer = Customer.objects.get(id=entitlement.stripe_customer_id)
    assert customer.subscriber == committed_tenant
    assert customer.stripe_data["metadata"]["tenant_slug"] == committed_tenant.slug
    triggers = WebhookEventTrigger.objects.all()
    assert triggers.count() >= 5
    assert all(t.valid and t.processed and not t.exception for t in triggers)


def test_declined_card_leaves_the_session_open_and_the_tenant_on_free(
    billing_ready, committed_tenant, sim
):
    url, session_id = checkout(committed_tenant, PRO)
    answer = pay(url, outcome="decline")
    assert answer.status_code == 402
    settled(sim)
    assert stripe.checkout.Session.retrieve(session_id).status == "open"
    entitlement = Entitlement.objects.filter(tenant=committed_tenant).first()
    assert entitlement is None or entitlement.effective_plan(timezone.now()) == FREE


def test_canceled_checkout_charges_nothing_and_changes_nothing(
    billing_ready, committed_tenant, sim
):
    url, _ = checkout(committed_tenant, PRO)
    answer = pay(url, outcome="cancel")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "http://live.localhost/billing/canceled/"
    settled(sim)
    assert not Entitlement.objects.filter(tenant=committed_tenant, status="active").exists()
    assert stripe.Subscription.list().data == []


def test_swap_from_pro_monthly_to_enterprise_yearly(billing_ready, committed_tenant, sim):
    subscribe(sim, committed_tenant, PRO)
    entitlement = plan_change(tenant=committed_tenant, plan=ENTERPRISE, interval=Interval.YEAR)
    assert (entitlement.subscribed_plan, entitlement.interval) == ("enterprise", "year")
    settled(sim)
    entitlement = entitlement_of(committed_tenant)
    assert (entitlement.subscribed_plan, entitlement.interval, entitlement.status) == (
        "enterprise",
        "year",
        "active",
    )
    prices = [
        item["price"]["lookup_key"] for item in stripe_subscription(entitlement)["items"]["data"]
    ]
    assert prices == ["enterprise_yearly"]
    assert len(stripe.Subscription.list().data) == 1


def test_cancel_at_period_end_keeps_the_plan_until_then_and_resume_clears_it(
    billing_ready, committed_tenant, sim
):
    subscribe(sim, committed_tenant, PRO)
    entitlement = subscription_cancel_at_period_end(tenant=committed_tenant)
    assert entitlement.cancel_at_period_end
    settled(sim)
    entitlement = entitlement_of(committed_tenant)
    assert entitlement.cancel_at_period_end
    assert entitlement.effective_plan(timezone.now()) == PRO
    assert stripe_subscription(entitlement).cancel_at_period_end

    subscription_resume(tenant=committed_tenant)
    settled(sim)
    entitlement = entitlement_of(committed_tenant)
    assert not entitlement.cancel_at_period_end
    assert not stripe_subscription(entitlement).cancel_at_period_end


def test_renewal_rolls_the_usage_period_and_keeps_history(billing_ready, committed_tenant, sim):
    first = subscribe(sim, committed_tenant, PRO)
    plan_limit_reserve(tenant=committed_tenant, resource=Resource.SHIPMENTS, count=7)

    sim.advance(days=32, payment="succeed")
    settled(sim)
    renewed = entitlement_of(committed_tenant)
    assert renewed.period_start == first.period_end
    assert renewed.status == "active"
    usage = usage_get(tenant=committed_tenant, entitlement=renewed, now=renewed.period_start)
    assert usage[Resource.SHIPMENTS].used == 0
    history = UsageCounter.objects.get(
        tenant=committed_tenant, resource=Resource.SHIPMENTS, period_start=first.period_start
    )
    assert history.used == 7


def test_failed_renewal_is_past_due_with_grace_then_free(
    billing_ready, committed_tenant, sim, settings
):
    first = subscribe(sim, committed_tenant, PRO)
    sim.advance(days=32, payment="fail")
    settled(sim)
    entitlement = entitlement_of(committed_tenant)
    assert entitlement.status == "past_due"
    failed_invoice = stripe.Invoice.retrieve(stripe_subscription(entitlement).latest_invoice)
    first_charged = failed_invoice.status_transitions.finalized_at  # an hour after its draft
    assert first_charged >= failed_invoice.created + 3600
    expected_grace = first_charged + settings.BILLING_GRACE_DAYS * 86400
    assert int(entitlement.grace_until.timestamp()) == expected_grace
    assert entitlement.effective_plan(entitlement.grace_until - timedelta(seconds=1)) == PRO
    assert entitlement.effective_plan(entitlement.grace_until) == FREE
    assert entitlement.period_start >= first.period_end


def test_deleted_subscription_puts_the_tenant_on_free(billing_ready, committed_tenant, sim):
    entitlement = subscribe(sim, committed_tenant, PRO)
    stripe.Subscription.cancel(entitlement.stripe_subscription_id)
    settled(sim)
    entitlement = entitlement_of(committed_tenant)
    assert entitlement.status == "canceled"
    assert entitlement.effective_plan(timezone.now()) == FREE


def test_the_same_event_delivered_five_times_is_applied_once(
    billing_ready, committed_tenant, sim, web_server
):
    subscribe(sim, committed_tenant, PRO)
    event = stripe.Event.list(type="customer.subscription.created").data[0]
    before = entitlement_of(committed_tenant).updated_at
    answers = [post_event(web_server, billing_ready, event.to_dict()) for _ in range(5)]
    assert [answer.status_code for answer in answers] == [200] * 5
    settled(sim)
    assert Event.objects.filter(id=event.id).count() == 1
    triggers = WebhookEventTrigger.objects.filter(event_id__isnull=False, body__contains=event.id)
    assert triggers.count() == 6 and all(t.processed for t in triggers)
    entitlement = entitlement_of(committed_tenant)
    assert (entitlement.subscribed_plan, entitlement.status) == ("pro", "active")
    assert entitlement.updated_at >= before


def test_events_out_of_order_end_in_the_state_stripe_has(
    billing_ready, committed_tenant, sim, web_server
):
    stripe.WebhookEndpoint.modify(billing_ready.id, disabled=True)
    url, _ = checkout(committed_tenant, PRO)
    pay(url)
    subscription = stripe.Subscription.list().data[0]
    stripe.Subscription.modify(subscription.id, cancel_at_period_end=True)
    stripe.Subscription.cancel(subscription.id)
    events = stripe.Event.list(limit=100).data
    by_type = {event.type: event for event in reversed(events)}
    ordered = [
        by_type["customer.subscription.deleted"],
        by_type["customer.subscription.updated"],
        by_type["customer.subscription.created"],
    ]
    rest = [event for event in events if event not in ordered]
    random.Random(7).shuffle(rest)
    for event in ordered + rest:
        assert post_event(web_server, billing_ready, event.to_dict()).status_code == 200
    settled(sim)
    entitlement = entitlement_of(committed_tenant)
    assert entitlement.status == stripe.Subscription.retrieve(subscription.id).status == "canceled"
    assert entitlement.effective_plan(timezone.now()) == FREE


@pytest.mark.parametrize("forgery", ["wrong_secret", "stale", "unsigned", "not_json"])
def test_forged_or_stale_webhooks_are_refused_and_change_nothing(
    billing_ready, committed_tenant, sim, web_server, forgery
):
    event = {
        "id": "evt_forged",
        "object": "event",
        "livemode": False,
        "type": "customer.subscription.deleted",
        "data": {"object": {"id": "sub_x", "object": "subscription", "customer": "cus_x"}},
    }
    url = f"{web_server}/stripe/webhook/{billing_ready.djstripe_uuid}/"
    if forgery == "wrong_secret":
        answer = post_event(web_server, billing_ready, event, secret="whsec_not_the_secret")
    elif forgery == "stale":
        answer = post_event(web_server, billing_ready, event, timestamp=int(time.time()) - 3600)
    elif forgery == "unsigned":
        answer = requests.post(url, json=event, timeout=10)
    else:
        answer = requests.post(url, data="{not json", timeout=10)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_webhook"
    assert not Event.objects.filter(id="evt_forged").exists()
    assert not WebhookEventTrigger.objects.filter(valid=True, body__contains="evt_forged").exists()


@pytest.mark.parametrize("mode", ["500", "reset"])
def test_stripe_down_during_checkout_answers_unavailable_and_leaves_nothing(
    billing_ready, committed_tenant, sim, mode
):
    fault(sim, mode)
    try:
        with pytest.raises(StripeUnavailable):
            checkout(committed_tenant, PRO)
    finally:
        clear_faults(sim)
    assert not Customer.objects.filter(subscriber=committed_tenant).exists()
    assert stripe.Customer.list().data == []


@pytest.mark.parametrize("mode", ["500", "reset"])
def test_processing_that_fails_on_stripe_errors_retries_and_succeeds_after(
    billing_ready, committed_tenant, sim, web_server, mode
):
    stripe.WebhookEndpoint.modify(billing_ready.id, disabled=True)
    url, _ = checkout(committed_tenant, PRO)
    pay(url)
    event = stripe.Event.list(type="customer.subscription.created").data[0]
    fault(sim, mode)
    try:
        assert post_event(web_server, billing_ready, event.to_dict()).status_code == 200
        trigger = wait_for(
            lambda: (
                WebhookEventTrigger.objects.filter(body__contains=event.id)
                .exclude(exception="")
                .first()
            )
        )
        assert not trigger.processed
    finally:
        clear_faults(sim)
    wait_for(
        lambda: WebhookEventTrigger.objects.filter(pk=trigger.pk, processed=True).exists(),
        timeout=30,
    )
    trigger.refresh_from_db()
    assert trigger.exception == ""
    assert entitlement_of(committed_tenant).subscribed_plan == "pro"


def test_a_processed_trigger_stays_processed_after_the_view_has_answered(
    billing_ready, committed_tenant, sim
):
    """The race of dj-stripe's callback design: nothing saves the trigger after enqueuing."""
    subscribe(sim, committed_tenant, PRO)  # returns once every trigger was processed
    valid = WebhookEventTrigger.objects.filter(valid=True)
    assert valid.count() >= 5
    time.sleep(0.5)  # time enough for a late save by the request to overwrite the worker's
    assert not valid.filter(processed=False).exists()

"""Subscription changes, proration, test clocks, dunning, the portal, invoices and faults."""

from __future__ import annotations

import json
import time

import pytest
import requests
import stripe

from billing.simulator import DEMO_SECRET_KEY, start_simulator
from tests.simulator.helpers import checkout, create_catalogue, event_types

DAY = 86400
# Stripe finalizes and collects a renewal invoice about an hour after drafting it.
HOUR = 3600


def _clocked_subscription(client, prices, card):
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_767_225_600})
    customer = client.v1.customers.create(
        params={
            "test_clock": clock.id,
            "payment_method": card,
            "invoice_settings": {"default_payment_method": card},
        }
    )
    pm = customer.invoice_settings.default_payment_method
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": prices["pro_monthly"].id}],
            "default_payment_method": pm,
        }
    )
    return clock, customer, sub


def test_price_swap_prorates_onto_the_next_invoice(stripe_client):
    prices = create_catalogue(stripe_client)
    clock, _, sub = _clocked_subscription(stripe_client, prices, "pm_card_visa")
    item = sub["items"].data[0]
    halfway = item.current_period_start + (item.current_period_end - item.current_period_start) // 2
    stripe_client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": halfway})

    updated = stripe_client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": item.id, "price": prices["enterprise_monthly"].id}],
            "proration_behavior": "create_prorations",
        },
    )
    assert updated["items"].data[0].price.id == prices["enterprise_monthly"].id
    assert event_types(stripe_client)[-1] == "customer.subscription.updated"

    stripe_client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": item.current_period_end + HOUR + 60}
    )
    renewal = stripe_client.v1.invoices.retrieve(
        stripe_client.v1.subscriptions.retrieve(sub.id).latest_invoice
    )
    fraction = (item.current_period_end - halfway) / (
        item.current_period_end - item.current_period_start
    )
    amounts = sorted(line.amount for line in renewal.lines.data)
    assert amounts == sorted([-round(4900 * fraction), round(19900 * fraction), 19900])
    assert renewal.status == "paid" and renewal.billing_reason == "subscription_cycle"


def test_proration_preview_matches_seconds_remaining_over_period_length(stripe_client):
    prices = create_catalogue(stripe_client)
    _, _, sub = _clocked_subscription(stripe_client, prices, "pm_card_visa")
    item = sub["items"].data[0]
    at = item.current_period_start + 10 * DAY
    preview = stripe_client.v1.invoices.create_preview(
        params={
            "subscription": sub.id,
            "subscription_details": {
                "items": [{"id": item.id, "price": prices["enterprise_monthly"].id}],
                "proration_date": at,
            },
        }
    )
    fraction = (item.current_period_end - at) / (
        item.current_period_end - item.current_period_start
    )
    prorations = [
        line.amount for line in preview.lines.data if line.parent.type == "invoice_item_details"
    ]
    assert prorations == [-round(4900 * fraction), round(19900 * fraction)]
    assert preview.amount_due == sum(line.amount for line in preview.lines.data)


def test_cancel_at_period_end_then_resume_then_cancel_now(stripe_client):
    prices = create_catalogue(stripe_client)
    _, _, sub = _clocked_subscription(stripe_client, prices, "pm_card_visa")
    ending = stripe_client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    assert ending.cancel_at_period_end and ending.cancel_at == (
        sub["items"].data[0].current_period_end
    )
    resumed = stripe_client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": False})
    assert not resumed.cancel_at_period_end and resumed.cancel_at is None
    canceled = stripe_client.v1.subscriptions.cancel(sub.id)
    assert canceled.status == "canceled" and canceled.ended_at
    assert event_types(stripe_client)[-1] == "customer.subscription.deleted"


def test_cancel_at_period_end_ends_the_subscription_when_the_clock_passes_it(stripe_client):
    prices = create_catalogue(stripe_client)
    clock, _, sub = _clocked_subscription(stripe_client, prices, "pm_card_visa")
    stripe_client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    stripe_client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": sub["items"].data[0].current_period_end + 1}
    )
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "canceled"


def test_declining_card_makes_renewal_past_due_then_canceled_after_retries(stripe_client):
    prices = create_catalogue(stripe_client)
    clock, _, sub = _clocked_subscription(stripe_client, prices, "pm_card_chargeCustomerFail")
    # The first invoice fails too: with allow_incomplete the subscription starts incomplete.
    assert sub.status == "incomplete"
    stripe_client.v1.invoices.pay(sub.latest_invoice, params={"payment_method": "pm_card_visa"})
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"

    end = sub["items"].data[0].current_period_end
    stripe_client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": end + HOUR + 60}
    )
    renewed = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert renewed.status == "past_due"
    assert "invoice.payment_failed" in event_types(stripe_client)
    failed = stripe_client.v1.invoices.retrieve(renewed.latest_invoice)
    assert failed.status == "open" and failed.attempt_count == 1 and failed.next_payment_attempt

    stripe_client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": end + 20 * DAY}
    )
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "canceled"
    assert stripe_client.v1.invoices.retrieve(failed.id).attempt_count == 4


def test_unpaid_setting_leaves_the_subscription_unpaid_after_retries(sim, stripe_client):
    requests.post(
        f"{sim.url}/_sim/settings", json={"after_final_payment_failure": "unpaid"}, timeout=5
    )
    prices = create_catalogue(stripe_client)
    session, _ = checkout(stripe_client, prices["pro_monthly"].id)
    sim.advance(32, payment="fail")
    assert stripe_client.v1.subscriptions.retrieve(session.subscription).status == "past_due"
    sim.advance(20, payment="fail")
    assert stripe_client.v1.subscriptions.retrieve(session.subscription).status == "unpaid"


def test_sim_advance_renews_every_subscription_with_a_new_paid_invoice(sim, stripe_client):
    prices = create_catalogue(stripe_client)
    session, _ = checkout(stripe_client, prices["pro_monthly"].id)
    answer = requests.post(f"{sim.url}/_sim/advance", json={"days": 32}, timeout=10)
    assert answer.status_code == 200
    invoices = stripe_client.v1.invoices.list(params={"subscription": session.subscription})
    assert [i.billing_reason for i in invoices.data] == [
        "subscription_cycle",
        "subscription_create",
    ]
    assert all(i.status == "paid" for i in invoices.data)


def test_portal_actions_switch_plan_cancel_resume_and_replace_card(stripe_client):
    prices = create_catalogue(stripe_client)
    session, _ = checkout(stripe_client, prices["pro_monthly"].id)
    portal = stripe_client.v1.billing_portal.sessions.create(
        params={"customer": session.customer, "return_url": "http://acme.localhost:8000/billing/"}
    )
    assert "Manage your billing" in requests.get(portal.url, timeout=5).text

    def act(**form):
        answer = requests.post(portal.url, data=form, allow_redirects=False, timeout=5)
        assert answer.status_code == 303
        assert answer.headers["Location"] == "http://acme.localhost:8000/billing/"

    act(
        action="switch_plan",
        subscription=session.subscription,
        price=prices["enterprise_monthly"].id,
    )
    sub = stripe_client.v1.subscriptions.retrieve(session.subscription)
    assert sub["items"].data[0].price.lookup_key == "enterprise_monthly"
    act(action="cancel", subscription=sub.id)
    assert stripe_client.v1.subscriptions.retrieve(sub.id).cancel_at_period_end
    act(action="resume", subscription=sub.id)
    assert not stripe_client.v1.subscriptions.retrieve(sub.id).cancel_at_period_end
    refused = requests.post(
        portal.url,
        data={"action": "update_card", "card": "pm_card_chargeDeclined"},
        allow_redirects=False,
        timeout=5,
    )
    assert refused.status_code == 402 and "Your card was declined." in refused.text
    act(action="update_card", card="pm_card_chargeCustomerFail")
    sub = stripe_client.v1.subscriptions.retrieve(
        sub.id, params={"expand": ["default_payment_method"]}
    )
    assert sub.default_payment_method.card.last4 == "0341"


def test_hosted_invoice_page_and_pdf(stripe_client):
    prices = create_catalogue(stripe_client)
    session, _ = checkout(stripe_client, prices["pro_monthly"].id)
    invoice = stripe_client.v1.invoices.retrieve(session.invoice)
    page = requests.get(invoice.hosted_invoice_url, timeout=5)
    assert page.status_code == 200 and invoice.number in page.text
    pdf = requests.get(invoice.invoice_pdf, timeout=5)
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF")


def test_fault_500_is_an_api_error_for_the_next_request_only(sim, stripe_client):
    requests.post(f"{sim.url}/_sim/faults", json={"mode": "500", "count": 1}, timeout=5)
    with pytest.raises(stripe.APIError):
        stripe_client.v1.customers.list()
    stripe_client.v1.customers.list()


def test_fault_after_lets_requests_through_before_failing_the_later_ones(sim, stripe_client):
    requests.post(f"{sim.url}/_sim/faults", json={"mode": "500", "count": 1, "after": 2}, timeout=5)
    stripe_client.v1.customers.list()
    stripe_client.v1.customers.list()
    with pytest.raises(stripe.APIError):
        stripe_client.v1.customers.list()
    stripe_client.v1.customers.list()


def test_fault_timeout_is_a_connection_error(sim):
    requests.post(
        f"{sim.url}/_sim/faults",
        json={"mode": "timeout", "count": 1, "hold_seconds": 1.5},
        timeout=5,
    )
    client = stripe.StripeClient(
        DEMO_SECRET_KEY,
        base_addresses={"api": sim.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=0.5),
    )
    with pytest.raises(stripe.APIConnectionError):
        client.v1.customers.list()


def test_fault_reset_until_cleared_is_a_connection_error(sim, stripe_client):
    requests.post(f"{sim.url}/_sim/faults", json={"mode": "reset", "count": None}, timeout=5)
    for _ in range(2):
        with pytest.raises(stripe.APIConnectionError):
            stripe_client.v1.customers.list()
    requests.delete(f"{sim.url}/_sim/faults", timeout=5)
    stripe_client.v1.customers.list()


def test_reset_forgets_every_object(sim, stripe_client):
    stripe_client.v1.customers.create(params={"email": "a@example.com"})
    requests.post(f"{sim.url}/_sim/reset", timeout=5)
    assert stripe_client.v1.customers.list().data == []


def test_state_file_round_trip_keeps_objects_across_restarts(tmp_path):
    path = tmp_path / "stripe-state.json"
    first = start_simulator(port=0, state_file=str(path))
    client = stripe.StripeClient(
        DEMO_SECRET_KEY, base_addresses={"api": first.url}, max_network_retries=0
    )
    prices = create_catalogue(client)
    session, _ = checkout(client, prices["pro_monthly"].id)
    first.stop()
    assert json.loads(path.read_text())["objects"]["subscription"]

    second = start_simulator(port=0, state_file=str(path))
    try:
        client = stripe.StripeClient(
            DEMO_SECRET_KEY, base_addresses={"api": second.url}, max_network_retries=0
        )
        assert client.v1.subscriptions.retrieve(session.subscription).status == "active"
    finally:
        second.stop()


def test_stripe_library_parses_every_served_object(stripe_module):
    time.sleep(0)
    customer = stripe.Customer.create(email="a@example.com", payment_method="pm_card_visa")
    assert isinstance(customer, stripe.Customer)
    assert isinstance(stripe.PaymentMethod.list(customer=customer.id).data[0], stripe.PaymentMethod)
    assert isinstance(stripe.Account.retrieve(), stripe.Account)
    assert isinstance(
        stripe.billing_portal.Configuration.list().data[0], stripe.billing_portal.Configuration
    )
    assert isinstance(stripe.Event.list().data[0], stripe.Event)

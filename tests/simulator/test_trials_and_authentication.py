"""Trials without a card (the reminder three days before the end, cancel or bill at the end) and
the 3-D Secure test cards (an invoice awaiting authentication, completed on the hosted page)."""

from __future__ import annotations

import pytest
import requests
import stripe

from tests.simulator.helpers import create_catalogue, event_types

DAY = 86400
HOUR = 3600
START = 1_767_225_600


def _trial(client, prices, *, card: str | None = None):
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": prices["pro_monthly"].id}],
            "trial_period_days": 14,
            "trial_settings": {"end_behavior": {"missing_payment_method": "cancel"}},
            "payment_settings": {"save_default_payment_method": "on_subscription"},
        }
    )
    return clock, customer, sub


def _advance(client, clock, seconds: int) -> None:
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": START + seconds})


def test_a_trial_starts_without_a_card_and_remembers_its_end_behaviour(stripe_client):
    prices = create_catalogue(stripe_client)
    _, _, sub = _trial(stripe_client, prices)
    assert sub.status == "trialing"
    assert sub.trial_start == START and sub.trial_end == START + 14 * DAY
    assert sub.trial_settings.end_behavior.missing_payment_method == "cancel"
    assert sub.payment_settings.save_default_payment_method == "on_subscription"
    assert sub.default_payment_method is None
    first = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    assert first.status == "paid" and first.total == 0


def test_trial_will_end_is_sent_three_days_before_the_end_and_only_once(stripe_client):
    prices = create_catalogue(stripe_client)
    clock, _, sub = _trial(stripe_client, prices)
    _advance(stripe_client, clock, 11 * DAY - 60)
    assert "customer.subscription.trial_will_end" not in event_types(stripe_client)
    _advance(stripe_client, clock, 11 * DAY)
    _advance(stripe_client, clock, 12 * DAY)
    reminders = stripe_client.v1.events.list(
        params={"type": "customer.subscription.trial_will_end"}
    ).data
    assert len(reminders) == 1
    assert reminders[0].data.object.id == sub.id
    assert reminders[0].created == START + 11 * DAY
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "trialing"


def test_a_trial_without_a_card_is_canceled_at_its_end_with_no_invoice(stripe_client):
    prices = create_catalogue(stripe_client)
    clock, customer, sub = _trial(stripe_client, prices)
    _advance(stripe_client, clock, 14 * DAY + 2 * HOUR)
    ended = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert ended.status == "canceled" and ended.ended_at == START + 14 * DAY
    types = event_types(stripe_client)
    assert types[-2:] == ["customer.subscription.deleted", "test_helpers.test_clock.ready"]
    invoices = stripe_client.v1.invoices.list(params={"customer": customer.id}).data
    assert [invoice.total for invoice in invoices] == [0]


def test_a_trial_with_a_card_added_in_the_portal_is_billed_at_its_end(stripe_client):
    prices = create_catalogue(stripe_client)
    clock, customer, sub = _trial(stripe_client, prices)
    portal = stripe_client.v1.billing_portal.sessions.create(
        params={"customer": customer.id, "return_url": "http://acme.localhost/billing/"}
    )
    answer = requests.post(
        portal.url,
        data={"action": "update_card", "card": "pm_card_visa"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    _advance(stripe_client, clock, 14 * DAY + 2 * HOUR)
    billed = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert billed.status == "active"
    invoice = stripe_client.v1.invoices.retrieve(billed.latest_invoice)
    assert invoice.status == "paid" and invoice.amount_paid == 4900
    assert invoice.billing_reason == "subscription_cycle"


def test_a_pausing_trial_end_is_refused_as_not_simulated(stripe_client):
    prices = create_catalogue(stripe_client)
    customer = stripe_client.v1.customers.create(params={})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": prices["pro_monthly"].id}],
                "trial_period_days": 14,
                "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}},
            }
        )
    assert refused.value.param == "trial_settings[end_behavior][missing_payment_method]"
    assert stripe_client.v1.subscriptions.list(params={"customer": customer.id}).data == []


@pytest.mark.parametrize(
    ("card", "last4"),
    [("pm_card_authenticationRequiredOnSetup", "3155"), ("pm_card_authenticationRequired", "3184")],
)
def test_a_renewal_on_a_3ds_card_awaits_authentication_until_the_hosted_page_completes_it(
    stripe_client, card, last4
):
    prices = create_catalogue(stripe_client)
    clock = stripe_client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
    customer = stripe_client.v1.customers.create(
        params={
            "test_clock": clock.id,
            "payment_method": card,
            "invoice_settings": {"default_payment_method": card},
        }
    )
    pm = stripe_client.v1.payment_methods.retrieve(customer.invoice_settings.default_payment_method)
    assert pm.card.last4 == last4
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": prices["pro_monthly"].id}],
            "trial_period_days": 14,
        }
    )
    _advance(stripe_client, clock, 14 * DAY + 2 * HOUR)
    waiting = stripe_client.v1.subscriptions.retrieve(sub.id)
    invoice = stripe_client.v1.invoices.retrieve(waiting.latest_invoice)
    assert invoice.status == "open" and invoice.amount_paid == 0 and invoice.attempt_count == 1
    assert invoice.next_payment_attempt is None
    assert waiting.status == "past_due"
    types = event_types(stripe_client)
    assert "invoice.payment_action_required" in types
    assert "invoice.paid" not in types[types.index("invoice.payment_action_required") :]

    page = requests.get(invoice.hosted_invoice_url, timeout=10)
    assert "Complete authentication" in page.text
    done = requests.post(invoice.hosted_invoice_url, data={"action": "authenticate"}, timeout=10)
    assert done.status_code == 200 and "Paid" in done.text
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == "paid"
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"
    assert event_types(stripe_client)[-3:] == [
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]


def test_a_first_invoice_on_a_3ds_card_leaves_the_subscription_incomplete_and_pay_refuses(
    stripe_client,
):
    prices = create_catalogue(stripe_client)
    customer = stripe_client.v1.customers.create(
        params={
            "payment_method": "pm_card_authenticationRequired",
            "invoice_settings": {"default_payment_method": "pm_card_authenticationRequired"},
        }
    )
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": prices["pro_monthly"].id}]}
    )
    assert sub.status == "incomplete"
    invoice = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    assert invoice.status == "open" and invoice.attempt_count == 1
    assert stripe_client.v1.charges.list(params={"customer": customer.id}).data == []
    with pytest.raises(stripe.CardError) as refused:
        stripe_client.v1.invoices.pay(invoice.id)
    assert refused.value.code == "invoice_payment_intent_requires_action"
    assert refused.value.http_status == 402
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == "open"

"""Stripe's test cards: the declining ones are refused when attached to a customer, with their
own decline; ``pm_card_chargeCustomerFail`` attaches and then fails every charge."""

from __future__ import annotations

import pytest
import requests
import stripe

from tests.simulator.helpers import create_catalogue

DECLINES = {
    "tok_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "tok_visa_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "tok_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "tok_chargeDeclinedLostCard": ("card_declined", "lost_card", "Your card was declined."),
    "tok_chargeDeclinedStolenCard": ("card_declined", "stolen_card", "Your card was declined."),
    "tok_chargeDeclinedExpiredCard": ("expired_card", "expired_card", "Your card has expired."),
    "tok_chargeDeclinedIncorrectCvc": (
        "incorrect_cvc",
        "incorrect_cvc",
        "Your card's security code is incorrect.",
    ),
    "tok_chargeDeclinedProcessingError": (
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    "tok_visa_chargeDeclinedVelocityLimitExceeded": (
        "card_declined",
        "card_velocity_exceeded",
        "Your card was declined for making repeated attempts too frequently or exceeding its "
        "amount limit.",
    ),
}


@pytest.mark.parametrize("token", sorted(DECLINES))
def test_a_customer_made_with_a_declining_source_is_402_and_nothing_is_made(stripe_module, token):
    with pytest.raises(stripe.CardError) as declined:
        stripe.Customer.create(email="a@example.com", source=token)
    code, decline_code, message = DECLINES[token]
    assert declined.value.http_status == 402 and declined.value.error.type == "card_error"
    assert (declined.value.code, declined.value.error.decline_code) == (code, decline_code)
    assert declined.value.user_message == message
    assert stripe.Customer.list().data == []
    assert stripe.Event.list().data == []


def test_a_customer_made_with_a_good_source_pays_with_it(stripe_module):
    customer = stripe.Customer.create(email="a@example.com", source="tok_visa")
    assert stripe.PaymentMethod.list(customer=customer.id).data[0].card.last4 == "4242"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe.Customer.create(source="tok_nonsense")
    assert unknown.value.code == "resource_missing" and unknown.value.param == "source"


@pytest.mark.parametrize("card", ["pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"])
def test_attaching_a_declining_card_is_refused_every_way(stripe_client, card):
    customer = stripe_client.v1.customers.create(params={"email": "a@example.com"})
    created = stripe_client.v1.payment_methods.create(
        params={"type": "card", "card": {"token": "tok_chargeDeclined"}}
    )
    assert created.customer is None  # making the payment method is fine; attaching is not
    attempts = [
        lambda: stripe_client.v1.payment_methods.attach(card, params={"customer": customer.id}),
        lambda: stripe_client.v1.payment_methods.attach(
            created.id, params={"customer": customer.id}
        ),
        lambda: stripe_client.v1.customers.create(params={"payment_method": card}),
        lambda: stripe_client.v1.customers.update(
            customer.id, params={"invoice_settings": {"default_payment_method": card}}
        ),
    ]
    for attempt in attempts:
        with pytest.raises(stripe.CardError) as declined:
            attempt()
        assert declined.value.code == "card_declined"
    assert stripe_client.v1.payment_methods.list(params={"customer": customer.id}).data == []
    assert len(stripe_client.v1.customers.list().data) == 1


def test_charge_customer_fail_attaches_and_then_every_charge_declines(stripe_client):
    prices = create_catalogue(stripe_client)
    customer = stripe_client.v1.customers.create(
        params={
            "payment_method": "pm_card_chargeCustomerFail",
            "invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"},
        }
    )
    pm = stripe_client.v1.payment_methods.list(params={"customer": customer.id}).data[0]
    assert pm.card.last4 == "0341"
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": prices["pro_monthly"].id}]}
    )
    assert sub.status == "incomplete"
    charge = stripe_client.v1.charges.list().data[0]
    assert (charge.status, charge.failure_code) == ("failed", "card_declined")


def test_paying_an_invoice_with_a_declining_card_is_declined_without_attaching_it(
    stripe_client,
):
    prices = create_catalogue(stripe_client)
    customer = stripe_client.v1.customers.create(
        params={"invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"}}
    )
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": prices["pro_monthly"].id}]}
    )
    invoice = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.invoices.pay(
            invoice.id, params={"payment_method": "pm_card_chargeDeclinedInsufficientFunds"}
        )
    assert declined.value.error.decline_code == "insufficient_funds"
    page = requests.post(
        invoice.hosted_invoice_url, data={"card": "pm_card_chargeDeclined"}, timeout=5
    )
    assert page.status_code == 402 and "declined" in page.text
    assert stripe_client.v1.invoices.retrieve(invoice.id).attempt_count == 3
    attached = stripe_client.v1.payment_methods.list(params={"customer": customer.id}).data
    assert [pm.card.last4 for pm in attached] == ["0341"]
    paid = requests.post(invoice.hosted_invoice_url, data={"card": "pm_card_visa"}, timeout=5)
    assert paid.status_code == 200
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"

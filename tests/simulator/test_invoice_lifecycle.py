"""Invoices as Stripe runs them: previews that refuse what Stripe's current API refuses."""

from __future__ import annotations

import pytest
import requests
import stripe

from billing.simulator import DEMO_SECRET_KEY
from tests.simulator.helpers import create_catalogue


def _clocked(client, prices, card="pm_card_visa"):
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_767_225_600})
    customer = client.v1.customers.create(
        params={
            "test_clock": clock.id,
            "payment_method": card,
            "invoice_settings": {"default_payment_method": card},
        }
    )
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": prices["pro_monthly"].id}]}
    )
    return clock, customer, sub


def _upcoming_none(client, customer, sub):
    with pytest.raises(stripe.InvalidRequestError) as none:
        client.v1.invoices.create_preview(params={"customer": customer.id, "subscription": sub.id})
    return none.value


def test_create_preview_of_a_subscription_with_nothing_upcoming_is_404_invoice_upcoming_none(
    stripe_client,
):
    prices = create_catalogue(stripe_client)
    _, customer, sub = _clocked(stripe_client, prices)
    stripe_client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    ending = _upcoming_none(stripe_client, customer, sub)
    stripe_client.v1.subscriptions.cancel(sub.id)
    canceled = _upcoming_none(stripe_client, customer, sub)
    for error in (ending, canceled):
        assert error.http_status == 404 and error.code == "invoice_upcoming_none"
        assert error.user_message == f"No upcoming invoices for customer: {customer.id}"


def test_create_preview_of_a_customer_alone_is_refused_as_since_basil(stripe_client):
    customer = stripe_client.v1.customers.create(params={"email": "a@example.com"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.invoices.create_preview(params={"customer": customer.id})
    assert refused.value.http_status == 400
    assert refused.value.user_message.startswith("You must provide at least one of: ")


def test_the_upcoming_invoice_route_of_older_api_versions_is_gone(sim, stripe_client):
    customer = stripe_client.v1.customers.create(params={"email": "a@example.com"})
    answer = requests.get(
        f"{sim.url}/v1/invoices/upcoming",
        params={"customer": customer.id},
        headers={"Authorization": f"Bearer {DEMO_SECRET_KEY}"},
        timeout=5,
    )
    assert answer.status_code == 404

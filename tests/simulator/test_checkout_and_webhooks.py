"""Checkout through the hosted page, the events it emits and their signed webhooks."""

from __future__ import annotations

import requests
import stripe

from tests.simulator.helpers import checkout, create_catalogue, event_types

CHECKOUT_EVENTS = [
    "customer.created",
    "payment_method.attached",
    "checkout.session.completed",
    "customer.subscription.created",
    "invoice.created",
    "invoice.finalized",
    "charge.succeeded",
    "invoice.paid",
    "invoice.payment_succeeded",
]


def test_paying_on_the_hosted_page_creates_an_active_subscription_and_paid_invoice(
    stripe_client,
):
    prices = create_catalogue(stripe_client)
    session, answer = checkout(stripe_client, prices["pro_monthly"].id)

    assert answer.status_code == 303
    assert answer.headers["Location"] == (
        f"http://acme.localhost:8000/billing/success/?session={session.id}"
    )
    assert session.status == "complete" and session.payment_status == "paid"
    assert session.client_reference_id == "acme"
    sub = stripe_client.v1.subscriptions.retrieve(session.subscription)
    assert sub.status == "active"
    assert sub.customer == session.customer
    assert sub.metadata["tenant"] == "acme"
    item = sub["items"].data[0]
    assert item.price.lookup_key == "pro_monthly"
    assert item.current_period_end > item.current_period_start
    invoice = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    assert invoice.status == "paid"
    assert invoice.amount_paid == 4900
    assert invoice.billing_reason == "subscription_create"
    assert invoice.parent.subscription_details.subscription == sub.id


def test_checkout_emits_stripes_events_in_order(stripe_client):
    prices = create_catalogue(stripe_client)
    checkout(stripe_client, prices["pro_monthly"].id)

    types = [t for t in event_types(stripe_client) if not t.startswith(("product.", "price."))]
    assert types == CHECKOUT_EVENTS


def test_declined_card_leaves_the_session_open_and_shows_the_error(stripe_client):
    prices = create_catalogue(stripe_client)
    session, answer = checkout(stripe_client, prices["pro_monthly"].id, outcome="decline")

    assert answer.status_code == 402
    assert "Your card was declined." in answer.text
    assert session.status == "open" and session.subscription is None


def test_cancel_on_the_hosted_page_redirects_to_the_cancel_url(stripe_client):
    prices = create_catalogue(stripe_client)
    session, answer = checkout(stripe_client, prices["pro_monthly"].id, outcome="cancel")

    assert answer.headers["Location"] == "http://acme.localhost:8000/billing/canceled/"
    assert session.status == "open"


def test_hosted_checkout_page_shows_plan_price_and_buttons(stripe_client):
    prices = create_catalogue(stripe_client)
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": prices["pro_yearly"].id}],
            "success_url": "http://x/s",
            "cancel_url": "http://x/c",
        }
    )
    page = requests.get(session.url, timeout=5).text
    assert "LogiNexus Pro" in page and "$490.00 / year" in page
    for button in ("value='pay'", "value='decline'", "value='cancel'"):
        assert button in page


def test_expiring_a_session_emits_checkout_session_expired(stripe_client):
    prices = create_catalogue(stripe_client)
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": prices["pro_monthly"].id}],
            "success_url": "http://x/s",
        }
    )
    expired = stripe_client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    assert event_types(stripe_client)[-1] == "checkout.session.expired"


def test_webhooks_arrive_signed_in_order_and_verify_with_the_endpoint_secret(
    stripe_client, sim, webhook_receiver
):
    endpoint = stripe_client.v1.webhook_endpoints.create(
        params={"url": webhook_receiver.url, "enabled_events": ["*"]}
    )
    assert endpoint.secret.startswith("whsec_")
    prices = create_catalogue(stripe_client)
    checkout(stripe_client, prices["pro_monthly"].id)
    assert sim.wait_for_webhooks(10)

    verified = [
        stripe.Webhook.construct_event(
            request["body"], request["headers"]["Stripe-Signature"], endpoint.secret
        )
        for request in webhook_receiver.requests
    ]
    types = [event.type for event in verified if not event.type.startswith(("product", "price"))]
    assert types == CHECKOUT_EVENTS
    assert all(event.pending_webhooks == 0 for event in stripe_client.v1.events.list().data)


def test_webhooks_only_for_enabled_events(stripe_client, sim, webhook_receiver):
    stripe_client.v1.webhook_endpoints.create(
        params={
            "url": webhook_receiver.url,
            "enabled_events": ["checkout.session.completed", "invoice.paid"],
        }
    )
    prices = create_catalogue(stripe_client)
    checkout(stripe_client, prices["pro_monthly"].id)
    assert sim.wait_for_webhooks(10)
    assert [e["type"] for e in webhook_receiver.delivered_events()] == [
        "checkout.session.completed",
        "invoice.paid",
    ]


def test_failed_delivery_is_retried_and_pending_webhooks_tracks_it(
    stripe_client, sim, webhook_receiver
):
    webhook_receiver.statuses = [500, 500]
    stripe_client.v1.webhook_endpoints.create(
        params={"url": webhook_receiver.url, "enabled_events": ["customer.created"]}
    )
    customer = stripe_client.v1.customers.create(params={"email": "a@example.com"})
    event = stripe_client.v1.events.list(params={"type": "customer.created"}).data[0]
    assert event.data.object.id == customer.id
    assert sim.wait_for_webhooks(10)

    assert [r["status"] for r in webhook_receiver.requests] == [500, 500, 200]
    assert stripe_client.v1.events.retrieve(event.id).pending_webhooks == 0
    attempts = [a["attempt"] for a in sim.webhook_attempts()]
    assert attempts == [1, 2, 3]


def test_control_endpoint_registers_a_webhook_with_a_chosen_secret(sim, webhook_receiver):
    answer = requests.post(
        f"{sim.url}/_sim/webhook_endpoints",
        timeout=5,
        json={"url": webhook_receiver.url, "secret": "whsec_fixedfordemo"},
    )
    assert answer.json()["secret"] == "whsec_fixedfordemo"

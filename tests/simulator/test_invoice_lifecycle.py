"""Invoices as Stripe runs them: renewal drafts finalized an hour later, one-off drafts made and
finalized through the API, and previews that refuse what Stripe's current API refuses."""

from __future__ import annotations

import pytest
import requests
import stripe

from billing.simulator import DEMO_SECRET_KEY
from tests.simulator.helpers import checkout, create_catalogue, event_types

HOUR = 3600


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


def _events_of(client, invoice_id):
    events = client.v1.events.list(params={"limit": 100}).data
    return [e.type for e in reversed(events) if e.data.object.id == invoice_id]


def test_a_renewal_invoice_is_a_draft_for_an_hour_then_finalized_and_paid(stripe_client):
    prices = create_catalogue(stripe_client)
    clock, _, sub = _clocked(stripe_client, prices)
    end = sub["items"].data[0].current_period_end

    advance = stripe_client.v1.test_helpers.test_clocks.advance
    advance(clock.id, params={"frozen_time": end + 60})
    renewed = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert renewed.status == "active" and renewed.latest_invoice != sub.latest_invoice
    assert renewed["items"].data[0].current_period_start == end
    draft = stripe_client.v1.invoices.retrieve(renewed.latest_invoice)
    assert (draft.status, draft.billing_reason, draft.auto_advance) == (
        "draft",
        "subscription_cycle",
        True,
    )
    assert draft.automatically_finalizes_at == draft.created + HOUR == end + HOUR
    assert draft.number is None and draft.attempt_count == 0
    assert _events_of(stripe_client, draft.id) == ["invoice.created"]

    advance(clock.id, params={"frozen_time": end + HOUR - 1})
    assert stripe_client.v1.invoices.retrieve(draft.id).status == "draft"

    advance(clock.id, params={"frozen_time": end + HOUR + 60})
    paid = stripe_client.v1.invoices.retrieve(draft.id)
    assert paid.status == "paid" and paid.number and paid.amount_paid == 4900
    assert paid.status_transitions.finalized_at == end + HOUR == paid.status_transitions.paid_at
    assert paid.automatically_finalizes_at is None and paid.auto_advance is False
    assert _events_of(stripe_client, draft.id) == [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]


def test_sim_advance_short_of_the_hour_leaves_the_draft_and_past_it_charges(sim, stripe_client):
    prices = create_catalogue(stripe_client)
    session, _ = checkout(stripe_client, prices["pro_monthly"].id)
    end = stripe_client.v1.subscriptions.retrieve(session.subscription)["items"].data[0]
    now = requests.get(f"{sim.url}/_sim/time", timeout=5).json()["now"]

    sim.advance((end.current_period_end - now + HOUR / 2) / 86400, payment="fail")
    sub = stripe_client.v1.subscriptions.retrieve(session.subscription)
    assert sub.status == "active"
    assert stripe_client.v1.invoices.retrieve(sub.latest_invoice).status == "draft"
    assert "invoice.payment_failed" not in event_types(stripe_client)

    sim.advance(1 / 24, payment="fail")
    sub = stripe_client.v1.subscriptions.retrieve(session.subscription)
    failed = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    assert sub.status == "past_due"
    assert (failed.status, failed.attempt_count) == ("open", 1) and failed.next_payment_attempt
    assert event_types(stripe_client)[-4:] == [
        "invoice.finalized",
        "charge.failed",
        "invoice.payment_failed",
        "customer.subscription.updated",
    ]


def test_time_passes_over_a_deleted_customer_and_its_draft(sim, stripe_client):
    prices = create_catalogue(stripe_client)
    clock, customer, sub = _clocked(stripe_client, prices)
    end = sub["items"].data[0].current_period_end
    advance = stripe_client.v1.test_helpers.test_clocks.advance
    advance(clock.id, params={"frozen_time": end + 60})
    stripe_client.v1.customers.delete(customer.id)
    assert advance(clock.id, params={"frozen_time": end + 2 * HOUR}).status == "ready"
    assert sim.advance(40)["now"]


def test_a_one_off_draft_takes_pending_items_only_when_asked_and_is_finalized_on_request(
    stripe_client,
):
    prices = create_catalogue(stripe_client)
    _, customer, sub = _clocked(stripe_client, prices)
    item = sub["items"].data[0]
    stripe_client.v1.subscriptions.update(
        sub.id, params={"items": [{"id": item.id, "price": prices["enterprise_monthly"].id}]}
    )

    empty = stripe_client.v1.invoices.create(params={"customer": customer.id})
    assert (empty.status, empty.billing_reason, empty.total) == ("draft", "manual", 0)
    assert empty.auto_advance is False and empty.automatically_finalizes_at is None
    assert stripe_client.v1.invoices.finalize_invoice(empty.id).status == "paid"

    invoice = stripe_client.v1.invoices.create(
        params={
            "customer": customer.id,
            "subscription": sub.id,
            "pending_invoice_items_behavior": "include",
            "metadata": {"reason": "upgrade"},
        }
    )
    assert invoice.status == "draft" and invoice.metadata["reason"] == "upgrade"
    assert invoice.parent.subscription_details.subscription == sub.id
    assert all(line.parent.type == "invoice_item_details" for line in invoice.lines.data)
    assert invoice.total == sum(line.amount for line in invoice.lines.data) > 0
    assert "invoice.created" in _events_of(stripe_client, invoice.id)

    final = stripe_client.v1.invoices.finalize_invoice(invoice.id)
    assert final.status == "open" and final.number and final.hosted_invoice_url
    assert final.attempt_count == 0  # auto_advance false: collecting is the caller's call
    assert stripe_client.v1.invoices.pay(invoice.id).status == "paid"
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.invoices.finalize_invoice(invoice.id)
    assert "already finalized" in again.value.user_message
    # The prorations were taken: the next renewal does not bill them again.
    preview = stripe_client.v1.invoices.create_preview(params={"subscription": sub.id})
    assert all(line.parent.type != "invoice_item_details" for line in preview.lines.data)


def test_an_automatically_advancing_one_off_invoice_is_charged_when_finalized(stripe_client):
    prices = create_catalogue(stripe_client)
    clock, customer, sub = _clocked(stripe_client, prices)
    stripe_client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": sub["items"].data[0].id, "price": prices["enterprise_monthly"].id}]
        },
    )
    invoice = stripe_client.v1.invoices.create(
        params={
            "customer": customer.id,
            "pending_invoice_items_behavior": "include",
            "auto_advance": True,
        }
    )
    assert invoice.automatically_finalizes_at == invoice.created + HOUR
    stripe_client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": invoice.created + HOUR}
    )
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == "paid"


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
    # The path now names an invoice called "upcoming", which does not exist (and its old
    # parameters, such as customer, are refused as unknown before that).
    answer = requests.get(
        f"{sim.url}/v1/invoices/upcoming",
        headers={"Authorization": f"Bearer {DEMO_SECRET_KEY}"},
        timeout=5,
    )
    assert answer.status_code == 404

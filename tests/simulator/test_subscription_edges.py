"""Subscriptions at Stripe's edges: no way to pay under each payment_behavior, updates that
change nothing, and items added and removed on their own."""

from __future__ import annotations

import pytest
import stripe

from tests.simulator.helpers import create_catalogue, event_types

NO_METHOD = "This customer has no attached payment source or default payment method."


def _create(client, customer, price, **params):
    return client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], **params}
    )


@pytest.mark.parametrize("behavior", [None, "allow_incomplete", "error_if_incomplete"])
def test_a_subscription_that_must_charge_a_customer_without_a_payment_method_is_refused(
    stripe_client, behavior
):
    prices = create_catalogue(stripe_client)
    customer = stripe_client.v1.customers.create(params={"email": "a@example.com"})
    extra = {"payment_behavior": behavior} if behavior else {}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _create(stripe_client, customer, prices["pro_monthly"], **extra)
    assert refused.value.http_status == 400 and refused.value.code == "resource_missing"
    assert refused.value.user_message.startswith(NO_METHOD)
    assert stripe_client.v1.subscriptions.list(params={"status": "all"}).data == []
    assert stripe_client.v1.invoices.list().data == []


def test_default_incomplete_leaves_the_first_invoice_open_without_trying_to_charge(
    stripe_client,
):
    prices = create_catalogue(stripe_client)
    customer = stripe_client.v1.customers.create(params={"email": "a@example.com"})
    sub = _create(
        stripe_client, customer, prices["pro_monthly"], payment_behavior="default_incomplete"
    )
    invoice = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    assert sub.status == "incomplete"
    assert (invoice.status, invoice.attempt_count, invoice.attempted) == ("open", 0, False)
    assert stripe_client.v1.charges.list().data == []
    assert "invoice.payment_failed" not in event_types(stripe_client)


def test_a_trial_needs_no_payment_method(stripe_client):
    prices = create_catalogue(stripe_client)
    customer = stripe_client.v1.customers.create(params={"email": "a@example.com"})
    sub = _create(stripe_client, customer, prices["pro_monthly"], trial_period_days=14)
    assert sub.status == "trialing"


def test_a_card_that_declines_makes_allow_incomplete_incomplete_and_error_if_incomplete_402(
    stripe_client,
):
    prices = create_catalogue(stripe_client)
    customer = stripe_client.v1.customers.create(
        params={
            "payment_method": "pm_card_chargeCustomerFail",
            "invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"},
        }
    )
    with pytest.raises(stripe.CardError) as declined:
        _create(
            stripe_client, customer, prices["pro_monthly"], payment_behavior="error_if_incomplete"
        )
    assert (declined.value.http_status, declined.value.code) == (402, "card_declined")
    sub = _create(stripe_client, customer, prices["pro_monthly"])
    invoice = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    assert sub.status == "incomplete"
    assert (invoice.status, invoice.attempt_count) == ("open", 1)
    assert "invoice.payment_failed" in event_types(stripe_client)


def test_an_update_that_changes_nothing_sends_no_event(stripe_client):
    prices = create_catalogue(stripe_client)
    customer = stripe_client.v1.customers.create(params={"payment_method": "pm_card_visa"})
    pm = stripe_client.v1.payment_methods.list(params={"customer": customer.id}).data[0]
    sub = _create(
        stripe_client,
        customer,
        prices["pro_monthly"],
        default_payment_method=pm.id,
        metadata={"tenant": "acme"},
    )
    item = sub["items"].data[0]

    def updates() -> int:
        return event_types(stripe_client).count("customer.subscription.updated")

    before = updates()
    for same in (
        {"metadata": {"tenant": "acme"}},
        {"cancel_at_period_end": False},
        {"default_payment_method": pm.id},
        {"items": [{"id": item.id, "price": prices["pro_monthly"].id}]},
        {"proration_behavior": "none"},
    ):
        unchanged = stripe_client.v1.subscriptions.update(sub.id, params=same)
        assert unchanged.to_dict() == stripe_client.v1.subscriptions.retrieve(sub.id).to_dict()
    assert updates() == before

    stripe_client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    stripe_client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    assert updates() == before + 1
    event = stripe_client.v1.events.list(params={"type": "customer.subscription.updated"}).data[0]
    assert event.data.previous_attributes.to_dict() == {
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
    }


def test_subscription_items_are_added_and_removed_with_prorations(stripe_client):
    prices = create_catalogue(stripe_client)
    customer = stripe_client.v1.customers.create(params={"payment_method": "pm_card_visa"})
    pm = stripe_client.v1.payment_methods.list(params={"customer": customer.id}).data[0]
    sub = _create(stripe_client, customer, prices["pro_monthly"], default_payment_method=pm.id)

    added = stripe_client.v1.subscription_items.create(
        params={
            "subscription": sub.id,
            "price": prices["enterprise_monthly"].id,
            "quantity": 2,
            "metadata": {"seat": "extra"},
        }
    )
    assert added.object == "subscription_item" and added.subscription == sub.id
    assert (added.price.id, added.quantity, added.metadata.to_dict()) == (
        prices["enterprise_monthly"].id,
        2,
        {"seat": "extra"},
    )
    items = stripe_client.v1.subscription_items.list(params={"subscription": sub.id}).data
    assert {i.id for i in items} == {sub["items"].data[0].id, added.id}
    assert event_types(stripe_client)[-1] == "customer.subscription.updated"
    preview = stripe_client.v1.invoices.create_preview(params={"subscription": sub.id})
    assert any(line.parent.type == "invoice_item_details" for line in preview.lines.data)

    removed = stripe_client.v1.subscription_items.delete(added.id)
    assert (removed.id, removed.deleted) == (added.id, True)
    remaining = stripe_client.v1.subscriptions.retrieve(sub.id)["items"].data
    assert [i.id for i in remaining] == [sub["items"].data[0].id]
    with pytest.raises(stripe.InvalidRequestError) as last:
        stripe_client.v1.subscription_items.delete(remaining[0].id)
    assert last.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as gone:
        stripe_client.v1.subscription_items.retrieve(added.id)
    assert gone.value.http_status == 404

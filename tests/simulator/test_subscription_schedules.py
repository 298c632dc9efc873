"""Subscription schedules as Stripe keeps them: made from a subscription, phases set, released or
canceled, the next phase applied at the period's end, and what Stripe refuses."""

from __future__ import annotations

import pytest
import stripe

from billing.simulator.shapes import missing_fields
from tests.simulator.helpers import create_catalogue, event_types

HOUR = 3600


def _clocked_subscription(client, prices, key="enterprise_monthly"):
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_767_225_600})
    customer = client.v1.customers.create(
        params={
            "test_clock": clock.id,
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": prices[key].id}]}
    )
    return clock, sub


def _downgrade(client, sub, schedule, price_id):
    current = schedule.phases[0]
    return client.v1.subscription_schedules.update(
        schedule.id,
        params={
            "end_behavior": "release",
            "phases": [
                {
                    "items": [{"price": current["items"][0].price, "quantity": 1}],
                    "start_date": current.start_date,
                    "end_date": current.end_date,
                },
                {
                    "items": [{"price": price_id, "quantity": 1}],
                    "duration": {"interval": "month", "interval_count": 1},
                },
            ],
        },
    )


def test_a_schedule_from_a_subscription_has_its_current_period_as_its_one_phase(stripe_client):
    prices = create_catalogue(stripe_client)
    _, sub = _clocked_subscription(stripe_client, prices)
    item = sub["items"].data[0]
    schedule = stripe_client.v1.subscription_schedules.create(params={"from_subscription": sub.id})
    assert schedule.id.startswith("sub_sched_")
    assert (schedule.object, schedule.status, schedule.end_behavior) == (
        "subscription_schedule",
        "active",
        "release",
    )
    assert (schedule.subscription, schedule.customer) == (sub.id, sub.customer)
    assert missing_fields(schedule.to_dict()) == []
    [phase] = schedule.phases
    assert (phase.start_date, phase.end_date) == (
        item.current_period_start,
        item.current_period_end,
    )
    assert [(i.price, i.quantity) for i in phase["items"]] == [(prices["enterprise_monthly"].id, 1)]
    assert schedule.current_phase.to_dict() == {
        "start_date": item.current_period_start,
        "end_date": item.current_period_end,
    }
    assert stripe_client.v1.subscriptions.retrieve(sub.id).schedule == schedule.id
    assert event_types(stripe_client)[-2:] == [
        "subscription_schedule.created",
        "customer.subscription.updated",
    ]
    listed = stripe_client.v1.subscription_schedules.list(params={"customer": sub.customer})
    assert [s.id for s in listed.data] == [schedule.id]
    assert stripe_client.v1.subscription_schedules.retrieve(schedule.id).id == schedule.id


def test_from_subscription_with_phases_is_refused(stripe_client):
    prices = create_catalogue(stripe_client)
    _, sub = _clocked_subscription(stripe_client, prices)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.subscription_schedules.create(
            params={
                "from_subscription": sub.id,
                "phases": [{"items": [{"price": prices["pro_monthly"].id}]}],
            }
        )
    assert refused.value.http_status == 400
    assert refused.value.param == "phases"
    assert stripe_client.v1.subscriptions.retrieve(sub.id).schedule is None
    assert stripe_client.v1.subscription_schedules.list().data == []


def test_a_subscription_already_on_a_schedule_is_refused_a_second(stripe_client):
    prices = create_catalogue(stripe_client)
    _, sub = _clocked_subscription(stripe_client, prices)
    first = stripe_client.v1.subscription_schedules.create(params={"from_subscription": sub.id})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.subscription_schedules.create(params={"from_subscription": sub.id})
    assert refused.value.http_status == 400
    assert refused.value.param == "from_subscription"
    assert first.id in str(refused.value.user_message)
    assert len(stripe_client.v1.subscription_schedules.list().data) == 1


def test_the_current_phase_keeps_its_start_and_phases_follow_each_other(stripe_client):
    prices = create_catalogue(stripe_client)
    _, sub = _clocked_subscription(stripe_client, prices)
    schedule = stripe_client.v1.subscription_schedules.create(params={"from_subscription": sub.id})
    current = schedule.phases[0]
    moved = {
        "items": [{"price": prices["enterprise_monthly"].id}],
        "start_date": current.start_date + 60,
        "end_date": current.end_date,
    }
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.subscription_schedules.update(schedule.id, params={"phases": [moved]})
    assert refused.value.param == "phases[0][start_date]"
    gap = [
        {**moved, "start_date": current.start_date},
        {"items": [{"price": prices["pro_monthly"].id}], "start_date": current.end_date + 60},
    ]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.subscription_schedules.update(schedule.id, params={"phases": gap})
    assert refused.value.param == "phases[1][start_date]"
    assert stripe_client.v1.subscription_schedules.retrieve(schedule.id).phases == schedule.phases


def test_cancel_at_period_end_on_a_scheduled_subscription_is_refused(stripe_client):
    prices = create_catalogue(stripe_client)
    _, sub = _clocked_subscription(stripe_client, prices)
    schedule = stripe_client.v1.subscription_schedules.create(params={"from_subscription": sub.id})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    assert refused.value.param == "cancel_at_period_end"
    assert schedule.id in str(refused.value.user_message)
    assert stripe_client.v1.subscriptions.retrieve(sub.id).cancel_at_period_end is False


def test_the_next_phase_takes_over_at_the_period_end_and_the_schedule_completes_after_it(
    stripe_client,
):
    prices = create_catalogue(stripe_client)
    clock, sub = _clocked_subscription(stripe_client, prices)
    end = sub["items"].data[0].current_period_end
    schedule = stripe_client.v1.subscription_schedules.create(params={"from_subscription": sub.id})
    updated = _downgrade(stripe_client, sub, schedule, prices["pro_monthly"].id)
    assert [p["items"][0].price for p in updated.phases] == [
        prices["enterprise_monthly"].id,
        prices["pro_monthly"].id,
    ]
    assert updated.phases[1].start_date == end
    before = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert before["items"].data[0].price.id == prices["enterprise_monthly"].id

    stripe_client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": end + HOUR + 60}
    )
    renewed = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert renewed["items"].data[0].price.id == prices["pro_monthly"].id
    assert renewed["items"].data[0].current_period_start == end
    assert renewed.schedule == schedule.id
    invoice = stripe_client.v1.invoices.retrieve(renewed.latest_invoice)
    assert (invoice.status, invoice.total, invoice.billing_reason) == (
        "paid",
        4900,
        "subscription_cycle",
    )
    in_phase = stripe_client.v1.subscription_schedules.retrieve(schedule.id)
    assert in_phase.status == "active"
    assert in_phase.current_phase.start_date == end
    assert "subscription_schedule.updated" in event_types(stripe_client)

    next_end = renewed["items"].data[0].current_period_end
    stripe_client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": next_end + 60}
    )
    done = stripe_client.v1.subscription_schedules.retrieve(schedule.id)
    assert (done.status, done.current_phase, done.completed_at) == ("completed", None, next_end)
    after = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert (after.status, after.schedule) == ("active", None)
    assert after["items"].data[0].price.id == prices["pro_monthly"].id
    assert "subscription_schedule.completed" in event_types(stripe_client)


def test_release_leaves_the_subscription_as_it_is_and_clears_its_schedule(stripe_client):
    prices = create_catalogue(stripe_client)
    clock, sub = _clocked_subscription(stripe_client, prices)
    end = sub["items"].data[0].current_period_end
    schedule = stripe_client.v1.subscription_schedules.create(params={"from_subscription": sub.id})
    _downgrade(stripe_client, sub, schedule, prices["pro_monthly"].id)
    released = stripe_client.v1.subscription_schedules.release(schedule.id)
    assert (released.status, released.subscription, released.released_subscription) == (
        "released",
        None,
        sub.id,
    )
    assert released.released_at is not None
    assert event_types(stripe_client)[-2:] == [
        "subscription_schedule.released",
        "customer.subscription.updated",
    ]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.subscription_schedules.release(schedule.id)
    stripe_client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": end + HOUR + 60}
    )
    renewed = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert renewed.schedule is None
    assert renewed["items"].data[0].price.id == prices["enterprise_monthly"].id


def test_cancel_ends_the_schedule_and_its_subscription_now(stripe_client):
    prices = create_catalogue(stripe_client)
    _, sub = _clocked_subscription(stripe_client, prices)
    schedule = stripe_client.v1.subscription_schedules.create(params={"from_subscription": sub.id})
    canceled = stripe_client.v1.subscription_schedules.cancel(schedule.id)
    assert (canceled.status, canceled.current_phase) == ("canceled", None)
    assert canceled.canceled_at is not None
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "canceled"
    assert "subscription_schedule.canceled" in event_types(stripe_client)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.subscription_schedules.update(
            schedule.id, params={"end_behavior": "cancel"}
        )


def test_an_upgrade_that_must_be_paid_is_refused_whole_when_the_card_declines(stripe_client):
    prices = create_catalogue(stripe_client)
    _, sub = _clocked_subscription(stripe_client, prices, "pro_monthly")
    stripe_client.v1.subscriptions.update(
        sub.id, params={"default_payment_method": "pm_card_chargeCustomerFail"}
    )
    before = stripe_client.v1.subscriptions.retrieve(sub.id)
    events = len(stripe_client.v1.events.list(params={"limit": 100}).data)
    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.subscriptions.update(
            sub.id,
            params={
                "items": [
                    {"id": sub["items"].data[0].id, "price": prices["enterprise_monthly"].id}
                ],
                "proration_behavior": "always_invoice",
                "payment_behavior": "error_if_incomplete",
            },
        )
    assert (declined.value.http_status, declined.value.code) == (402, "card_declined")
    after = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert after.to_dict() == before.to_dict()
    assert len(stripe_client.v1.events.list(params={"limit": 100}).data) == events

"""Usage-based billing in the simulator: meters, meter events (deduplicated by identifier, within
Stripe's time window), summaries, metered prices and items, and the usage line at renewal."""

from __future__ import annotations

import pytest
import stripe

from tests.simulator.helpers import create_catalogue

HOUR = 3600
START = 1_767_225_600  # 2026-01-01, a test clock's frozen time


def meter(client, event_name="shipments_overage", formula="sum"):
    return client.v1.billing.meters.create(
        params={
            "display_name": "Extra shipments",
            "event_name": event_name,
            "default_aggregation": {"formula": formula},
        }
    )


def metered_price(client, meter_id, amount=4):
    product = client.v1.products.create(params={"name": "Extra shipments"})
    return client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": amount,
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter_id},
        }
    )


def clocked_customer(client):
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
    customer = client.v1.customers.create(
        params={
            "test_clock": clock.id,
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    return clock, customer


def report(client, customer_id, identifier, value="1", timestamp=None):
    params = {
        "event_name": "shipments_overage",
        "payload": {"stripe_customer_id": customer_id, "value": value},
        "identifier": identifier,
    }
    if timestamp is not None:
        params["timestamp"] = timestamp
    return client.v1.billing.meter_events.create(params=params)


def test_a_meter_has_stripes_shape_and_defaults(stripe_client):
    created = meter(stripe_client)
    assert created.id.startswith("mtr_")
    assert created.object == "billing.meter"
    assert created.status == "active"
    assert created.customer_mapping.to_dict() == {
        "event_payload_key": "stripe_customer_id",
        "type": "by_id",
    }
    assert created.value_settings.event_payload_key == "value"
    assert created.default_aggregation.formula == "sum"
    assert stripe_client.v1.billing.meters.retrieve(created.id).event_name == "shipments_overage"
    listed = stripe_client.v1.billing.meters.list(params={"status": "active"})
    assert [m.id for m in listed.data] == [created.id]


def test_a_second_active_meter_with_the_same_event_name_is_refused(stripe_client):
    meter(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        meter(stripe_client)
    assert refused.value.param == "event_name"


def test_a_deactivated_meter_takes_no_events_until_reactivated(stripe_client):
    created = meter(stripe_client)
    _, customer = clocked_customer(stripe_client)
    inactive = stripe_client.v1.billing.meters.deactivate(created.id)
    assert inactive.status == "inactive"
    assert inactive.status_transitions.deactivated_at is not None
    with pytest.raises(stripe.InvalidRequestError) as refused:
        report(stripe_client, customer.id, "after-deactivation")
    assert refused.value.param == "event_name"
    assert stripe_client.v1.billing.meters.reactivate(created.id).status == "active"
    assert report(stripe_client, customer.id, "after-reactivation").identifier


def test_a_meter_event_with_an_identifier_already_used_is_refused_and_not_counted(stripe_client):
    created = meter(stripe_client)
    _, customer = clocked_customer(stripe_client)
    event = report(stripe_client, customer.id, "t1-shipment-7")
    assert (event.object, event.identifier, event.payload["value"]) == (
        "billing.meter_event",
        "t1-shipment-7",
        "1",
    )
    with pytest.raises(stripe.InvalidRequestError) as refused:
        report(stripe_client, customer.id, "t1-shipment-7")
    assert (refused.value.code, refused.value.param) == ("resource_already_exists", "identifier")
    summary = stripe_client.v1.billing.meters.event_summaries.list(
        created.id,
        params={"customer": customer.id, "start_time": START, "end_time": START + HOUR},
    )
    assert [s.aggregated_value for s in summary.data] == [1.0]


@pytest.mark.parametrize(
    "timestamp, param",
    [(START - 36 * 86400, "timestamp"), (START + 6 * 60, "timestamp")],
    ids=["older-than-35-days", "over-5-minutes-ahead"],
)
def test_a_meter_event_outside_stripes_time_window_is_refused(stripe_client, timestamp, param):
    meter(stripe_client)
    _, customer = clocked_customer(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        report(stripe_client, customer.id, "late", timestamp=timestamp)
    assert refused.value.param == param


def test_a_meter_event_without_the_customer_or_a_numeric_value_is_refused(stripe_client):
    meter(stripe_client)
    _, customer = clocked_customer(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as no_customer:
        stripe_client.v1.billing.meter_events.create(
            params={"event_name": "shipments_overage", "payload": {"value": "1"}}
        )
    assert no_customer.value.param == "payload[stripe_customer_id]"
    with pytest.raises(stripe.InvalidRequestError) as not_a_number:
        report(stripe_client, customer.id, "nan", value="many")
    assert not_a_number.value.param == "payload[value]"


def test_event_summaries_group_by_hour_and_need_aligned_times(stripe_client):
    created = meter(stripe_client)
    _, customer = clocked_customer(stripe_client)
    report(stripe_client, customer.id, "a", value="2", timestamp=START - 2 * HOUR + 5)
    report(stripe_client, customer.id, "b", value="3", timestamp=START - HOUR + 5)
    hourly = stripe_client.v1.billing.meters.event_summaries.list(
        created.id,
        params={
            "customer": customer.id,
            "start_time": START - 2 * HOUR,
            "end_time": START,
            "value_grouping_window": "hour",
        },
    )
    assert [(s.object, s.aggregated_value) for s in hourly.data] == [
        ("billing.meter_event_summary", 2.0),
        ("billing.meter_event_summary", 3.0),
    ]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.billing.meters.event_summaries.list(
            created.id,
            params={"customer": customer.id, "start_time": START + 1, "end_time": START + HOUR},
        )
    assert refused.value.param == "start_time"


def test_a_metered_price_needs_a_meter(stripe_client):
    product = stripe_client.v1.products.create(params={"name": "Extra"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": 4,
                "recurring": {"interval": "month", "usage_type": "metered"},
            }
        )
    assert refused.value.param == "recurring[meter]"
    price = metered_price(stripe_client, meter(stripe_client).id)
    assert (price.recurring.usage_type, price.recurring.meter.startswith("mtr_")) == (
        "metered",
        True,
    )


def test_a_metered_item_has_no_quantity_and_refuses_one(stripe_client):
    prices = create_catalogue(stripe_client)
    overage = metered_price(stripe_client, meter(stripe_client).id)
    _, customer = clocked_customer(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": prices["pro_monthly"].id}]}
    )
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.subscription_items.create(
            params={"subscription": sub.id, "price": overage.id, "quantity": 3}
        )
    assert refused.value.param == "items[0][quantity]"
    item = stripe_client.v1.subscription_items.create(
        params={"subscription": sub.id, "price": overage.id, "proration_behavior": "none"}
    )
    assert "quantity" not in item.to_dict()
    assert item.price.recurring.usage_type == "metered"


def test_the_renewal_invoice_bills_the_ended_periods_usage_exactly(stripe_client):
    prices = create_catalogue(stripe_client)
    created = meter(stripe_client)
    overage = metered_price(stripe_client, created.id)
    clock, customer = clocked_customer(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": prices["pro_monthly"].id}]}
    )
    stripe_client.v1.subscription_items.create(
        params={"subscription": sub.id, "price": overage.id, "proration_behavior": "none"}
    )
    for number in range(7):
        report(stripe_client, customer.id, f"t1-shipment-{number}", timestamp=START + number)
    period_end = sub["items"].data[0].current_period_end
    stripe_client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": period_end + 60}
    )
    # Usage of the new period belongs to the next invoice, not this one.
    report(stripe_client, customer.id, "next-period", timestamp=period_end + 30)
    stripe_client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": period_end + HOUR + 120}
    )
    renewal = stripe_client.v1.invoices.retrieve(
        stripe_client.v1.subscriptions.retrieve(sub.id).latest_invoice
    )
    assert renewal.billing_reason == "subscription_cycle"
    usage = [line for line in renewal.lines.data if line.amount != 4900]
    assert [(line.quantity, line.amount) for line in usage] == [(7, 28)]
    assert renewal.subtotal == 4900 + 28

"""Extra shipments reported to Stripe's meter from the outbox by the real worker: once each, an
outage delays and never loses or doubles them, and the period's invoice bills them exactly."""

from datetime import UTC, datetime

import pytest
import requests
import stripe
from django_tenants.utils import schema_context
from djstripe.models import Customer, Subscription

from billing.exceptions import StripeUnavailable
from billing.overage.catalog import overage_prices_sync
from billing.overage.models import OverageEvent
from billing.overage.services import overage_choose, overage_events_send
from billing.overage.tasks import overage_events_send_task
from billing.services import entitlement_refresh
from billing.stripe.catalog import plans_sync
from shipments.models import Shipment
from shipments.services import shipment_create
from tests.billing.helpers import clear_faults, fault, wait_for

PRO_LIMIT = 2000


@pytest.fixture
def overage_on(committed_tenant, sim, stripe_module, celery_worker):
    """A committed Pro tenant in the simulator with overage on (cap 10), at its limit."""
    plans_sync()
    overage_prices_sync()
    customer = stripe.Customer.create(
        email=committed_tenant.email, metadata={"djstripe_subscriber": str(committed_tenant.pk)}
    )
    Customer.sync_from_stripe_data(customer)
    price = stripe.Price.list(lookup_keys=["pro_monthly"]).data[0]
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], default_payment_method="pm_card_visa"
    )
    Subscription.sync_from_stripe_data(subscription)
    entitlement_refresh(tenant=committed_tenant)
    overage_choose(tenant=committed_tenant, enabled=True, cap=10)
    with schema_context(committed_tenant.schema_name):
        Shipment.objects.bulk_create(
            Shipment(reference=f"F{n}", origin="A", destination="B", carrier="C", weight_kg=1)
            for n in range(PRO_LIMIT)
        )
    return committed_tenant, customer.id, subscription.id


def extra_shipments(tenant, count: int) -> None:
    with schema_context(tenant.schema_name):
        for number in range(count):
            shipment_create(
                reference=f"X{number}", origin="A", destination="B", carrier="C", weight_kg="1"
            )


def metered(customer_id: str) -> float:
    """What Stripe's meter holds for the customer, from the start of 2026 to the next minute."""
    meter = next(m for m in stripe.billing.Meter.list() if m.event_name == "shipments_overage")
    end = (int(datetime.now(UTC).timestamp()) // 60 + 2) * 60
    summaries = stripe.billing.Meter.list_event_summaries(
        meter.id, customer=customer_id, start_time=1_767_225_600, end_time=end
    )
    return sum(summary.aggregated_value for summary in summaries.data)


def send_by_worker(tenant) -> None:
    """The worker runs the task (as beat has it run every minute) until nothing is unsent."""
    overage_events_send_task.delay()
    wait_for(
        lambda: not OverageEvent.objects.filter(tenant=tenant, sent_at__isnull=True).exists(),
        message="extra shipments still unsent",
    )


def test_each_extra_shipment_reaches_stripes_meter_once(overage_on):
    tenant, customer_id, _ = overage_on
    extra_shipments(tenant, 3)
    assert OverageEvent.objects.filter(tenant=tenant, sent_at__isnull=True).count() == 3
    send_by_worker(tenant)
    assert metered(customer_id) == 3


def test_a_resend_after_a_lost_answer_counts_nothing_twice(overage_on):
    tenant, customer_id, _ = overage_on
    extra_shipments(tenant, 3)
    send_by_worker(tenant)
    OverageEvent.objects.filter(tenant=tenant).update(sent_at=None)  # the answers were lost
    assert overage_events_send(batch_size=10) == 3  # Stripe has them: counted as reported
    assert metered(customer_id) == 3


def test_a_stripe_outage_delays_the_events_then_delivers_each_once(overage_on, sim):
    tenant, customer_id, _ = overage_on
    extra_shipments(tenant, 3)
    fault(sim, "500", after=1)  # the first event goes through, then Stripe fails
    try:
        with pytest.raises(StripeUnavailable):
            overage_events_send(batch_size=10)
    finally:
        clear_faults(sim)
    assert OverageEvent.objects.filter(tenant=tenant, sent_at__isnull=True).count() == 2
    assert metered(customer_id) == 1
    send_by_worker(tenant)
    assert metered(customer_id) == 3


def test_the_periods_invoice_bills_its_extra_shipments_exactly(overage_on, sim):
    tenant, _, subscription_id = overage_on
    extra_shipments(tenant, 7)
    send_by_worker(tenant)
    answer = requests.post(f"{sim.url}/_sim/advance", json={"days": 32}, timeout=30)
    assert answer.status_code == 200
    renewal = stripe.Invoice.retrieve(stripe.Subscription.retrieve(subscription_id).latest_invoice)
    assert renewal.billing_reason == "subscription_cycle"
    lines = {line.pricing.price_details.price: line for line in renewal.lines.data}
    overage_price = stripe.Price.list(lookup_keys=["overage_monthly_usd"]).data[0]
    line = lines[overage_price.id]
    assert (line.quantity, line.amount) == (7, 28)

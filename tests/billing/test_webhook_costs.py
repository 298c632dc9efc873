"""What applying Stripe's events costs, side by side: from their bodies (how the worker applies
them) and through dj-stripe's re-fetching processing (how it did before, kept to measure
against). Stripe calls and database queries per delivery, on the real simulator."""

import random

import pytest
import stripe
from djstripe.models import Customer, Invoice

from billing.models import Entitlement
from billing.plans import PRO
from billing.stripe.catalog import WEBHOOK_EVENTS
from billing.stripe.event_sync import event_apply, event_apply_refetching
from billing.stripe.subscriptions import SubscriptionFacts
from tests.billing.helpers import checkout, pay
from tests.billing.stripe_events import (
    Deliveries,
    clocked_subscription,
    deliveries_to_us,
    events_of,
    per_delivery,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhooks(sim, stripe_module) -> Deliveries:
    return deliveries_to_us(sim)


def shuffled_with_duplicates(events: list[dict], *, duplicates: int, seed: int) -> list[dict]:
    deliveries = events + random.Random(seed).sample(events, duplicates)
    random.Random(seed + 1).shuffle(deliveries)
    return deliveries


def ends_as_stripe_has_it(tenant) -> None:
    entitlement = Entitlement.objects.get(tenant=tenant)
    [subscription] = stripe.Subscription.list(customer=entitlement.stripe_customer_id).data
    expected = SubscriptionFacts.from_stripe_data(subscription.to_dict())
    assert (entitlement.status, entitlement.subscribed_plan, entitlement.period_end) == (
        expected.status, expected.plan.code, expected.period_end,
    )  # fmt: skip


def renewals(webhooks: Deliveries, tenant, *, months: int) -> list[dict]:
    """A subscription whose creation was applied in order, then renewed `months` times in
    Stripe: the renewals' events (not applied yet), oldest first."""
    subscription = clocked_subscription(tenant)
    created = events_of(subscription.customer)
    for event in created:
        webhooks.process(event)
    for _ in range(months):
        webhooks.sim.advance(days=32, payment="succeed")
    return events_of(subscription.customer, after=created[-1]["created"])


def test_renewals_in_any_order_cost_almost_no_stripe_call_and_fewer_queries(
    webhooks, tenant_a, tenant_b
):
    costs = {}
    for tenant, apply in ((tenant_a, event_apply_refetching), (tenant_b, event_apply)):
        events = renewals(webhooks, tenant, months=3)
        assert len(events) == 15  # each: the subscription updated, its invoice's four events
        deliveries = shuffled_with_duplicates(events, duplicates=2, seed=7)
        costs[apply] = per_delivery([webhooks.process(event, apply) for event in deliveries])
        ends_as_stripe_has_it(tenant)
    (calls_before, queries_before), (calls, queries) = costs.values()
    print(f"renewals, 17 deliveries: before {calls_before:.2f} calls and {queries_before:.1f} "
          f"queries each, after {calls:.2f} calls and {queries:.1f} queries")  # fmt: skip
    assert calls_before >= 0.8
    # The only calls left fetch an invoice a renewed subscription names that is not stored yet.
    assert calls <= 0.2
    assert queries < queries_before and queries <= 25


def test_a_checkouts_events_in_any_order_on_an_empty_database_cost_fewer_calls(
    webhooks, tenant_a, tenant_b
):
    costs = {}
    for tenant, apply in ((tenant_a, event_apply_refetching), (tenant_b, event_apply)):
        url, _ = checkout(tenant, PRO)
        assert pay(url).status_code == 303
        customer_id = Customer.objects.get(subscriber=tenant).id
        Customer.objects.filter(id=customer_id).delete()  # nothing of it is stored
        events = events_of(customer_id)
        assert {event["type"] for event in events} <= set(WEBHOOK_EVENTS)
        deliveries = shuffled_with_duplicates(events, duplicates=3, seed=11)
        costs[apply] = per_delivery([webhooks.process(event, apply) for event in deliveries])
        ends_as_stripe_has_it(tenant)
        [subscription] = stripe.Subscription.list(customer=customer_id).data
        assert Invoice.objects.filter(id=subscription.latest_invoice).exists()
    (calls_before, queries_before), (calls, queries) = costs.values()
    print(f"checkout, {len(deliveries)} deliveries: before {calls_before:.2f} calls and "
          f"{queries_before:.1f} queries each, after {calls:.2f} calls and {queries:.1f} "
          "queries")  # fmt: skip
    assert calls < calls_before

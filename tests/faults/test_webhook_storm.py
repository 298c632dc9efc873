"""A webhook storm: 20 tenants' subscriptions live a month in Stripe (created, swapped, canceled at
period end and resumed, renewed, failed, deleted), and their ~500 events reach us in an order
Hypothesis picks, with duplicates. Whatever the order, each tenant ends as Stripe has it, and each
event is applied once."""

import itertools

import pytest
import stripe
from django.db import connection
from djstripe.models import Customer, Event, WebhookEventTrigger
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from billing.models import Entitlement
from billing.stripe.catalog import plans_sync, webhook_endpoint_ensure
from billing.stripe.subscriptions import SubscriptionFacts
from loginexus.tenancy.models import Tenant
from tests.billing.helpers import post_event, wait_for

SUBSCRIPTIONS = 20
PRICES = ("pro_monthly", "pro_yearly", "enterprise_monthly", "enterprise_yearly")
_runs = itertools.count(1)


def stripe_month(sim) -> tuple[list[Tenant], list[dict]]:
    """20 tenants with a subscription each, taken through a month of changes in the simulator;
    their events, oldest first. Tenants are rows only: billing never enters their schemas."""
    run = next(_runs)
    prices = {key: stripe.Price.list(lookup_keys=[key]).data[0].id for key in PRICES}
    tenants, subscriptions = [], []
    for number in range(SUBSCRIPTIONS):
        tenant = Tenant.objects.create(
            schema_name=f"t_storm_{run}_{number}", name=f"Storm {number}",
            slug=f"storm-{run}-{number}",
        )  # fmt: skip
        customer = stripe.Customer.create(
            email=f"billing@storm{number}.example",
            metadata={"djstripe_subscriber": str(tenant.pk)},
        )
        # Stripe refuses to attach a card that declines; this one attaches and fails charges.
        card = "pm_card_chargeCustomerFail" if number % 5 == 0 else "pm_card_visa"
        subscription = stripe.Subscription.create(
            customer=customer.id,
            items=[{"price": prices[PRICES[number % 4]]}],
            default_payment_method="pm_card_visa",
        )
        if number % 4 == 1:  # a swap, with proration
            item = subscription["items"]["data"][0]
            stripe.Subscription.modify(
                subscription.id, items=[{"id": item.id, "price": prices["enterprise_monthly"]}]
            )
        if number % 4 in (2, 3):
            stripe.Subscription.modify(subscription.id, cancel_at_period_end=True)
        if number % 4 == 3:
            stripe.Subscription.modify(subscription.id, cancel_at_period_end=False)
        if card != "pm_card_visa":  # the next renewal will fail
            stripe.Subscription.modify(subscription.id, default_payment_method=card)
        tenants.append(tenant)
        subscriptions.append(subscription)
    sim.advance(days=32)  # renewals, failures, ends at period end
    for subscription in subscriptions[7::10]:
        stripe.Subscription.cancel(subscription.id)
    sim.advance(days=31)  # a second round of renewals (and of retries of failed payments)
    customers = {subscription.customer for subscription in subscriptions}
    events = [
        event.to_dict()
        for event in stripe.Event.list(limit=100).auto_paging_iter()
        if _customer_of(event) in customers
    ]
    return tenants, sorted(events, key=lambda event: event["created"])


def _customer_of(event) -> str | None:
    stripe_object = event["data"]["object"]
    if stripe_object["object"] == "customer":
        return stripe_object["id"]
    customer = stripe_object.get("customer")
    return customer if isinstance(customer, str) else (customer or {}).get("id")


@pytest.fixture
def storm_site(committed_db, sim, stripe_module, web_server, celery_worker):
    """Plans in the simulator, our endpoint known to it but left to us to deliver to, and the
    month of history (made once: every example delivers the same events in its own order)."""
    plans_sync()
    endpoint = webhook_endpoint_ensure(base_url=web_server)
    stripe.WebhookEndpoint.modify(endpoint.id, disabled=True)
    tenants, events = stripe_month(sim)
    yield endpoint, tenants, events
    connection.set_schema_to_public()
    Tenant.objects.filter(slug__startswith="storm-").delete()


def forget_everything(tenants: list[Tenant], events: list[dict]) -> None:
    """Back to before the first delivery: no entitlements, no synced Stripe objects, no events."""
    Entitlement.objects.filter(tenant__in=tenants).delete()
    Customer.objects.filter(subscriber__in=tenants).delete()  # their subscriptions, invoices...
    Event.objects.filter(id__in=[event["id"] for event in events]).delete()
    WebhookEventTrigger.objects.all().delete()


@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],  # a failing order is printed; shrinking 500 deliveries is too slow
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_any_order_with_duplicates_ends_as_stripe_has_it(data, storm_site, web_server):
    endpoint, tenants, events = storm_site
    forget_everything(tenants, events)
    order = data.draw(st.permutations(range(len(events))), label="order")
    repeats = data.draw(
        st.lists(st.sampled_from(range(len(events))), min_size=150, max_size=200),
        label="repeats",
    )
    deliveries = list(order)
    for position, index in enumerate(repeats):
        deliveries.insert((position * 7919) % (len(deliveries) + 1), index)

    for index in deliveries:
        assert post_event(web_server, endpoint, events[index]).status_code == 200
    wait_for(
        lambda: not WebhookEventTrigger.objects.filter(valid=True, processed=False).exists(),
        timeout=180,
        message="the worker did not apply every event",
    )

    ids = {event["id"] for event in events}
    print(f"storm: {len(events)} events, {len(deliveries)} deliveries")
    assert len(deliveries) >= 450
    assert not WebhookEventTrigger.objects.exclude(exception="").exists()
    assert Event.objects.filter(id__in=ids).count() == len(ids)  # each applied, once
    for tenant in tenants:
        expected = newest_subscription(tenant)
        entitlement = Entitlement.objects.get(tenant=tenant)
        assert (
            entitlement.stripe_subscription_id, entitlement.status, entitlement.subscribed_plan,
            entitlement.cancel_at_period_end, entitlement.period_end,
        ) == (
            expected.id, expected.status, expected.plan.code,
            expected.cancel_at_period_end, expected.period_end,
        ), tenant.slug  # fmt: skip


def newest_subscription(tenant: Tenant) -> SubscriptionFacts:
    customer = next(
        customer
        for customer in stripe.Customer.list(limit=100).auto_paging_iter()
        if customer.metadata.get("djstripe_subscriber") == str(tenant.pk)
    )
    [subscription] = stripe.Subscription.list(customer=customer.id, status="all").data
    return SubscriptionFacts.from_stripe_data(subscription.to_dict())

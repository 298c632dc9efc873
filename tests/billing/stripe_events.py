"""Steps shared by the tests of applying Stripe events: a subscription on a test clock (its
events share one second), deliveries recorded and processed here, and what processing cost."""

import json
import time
from dataclasses import dataclass

import stripe
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from djstripe.models import WebhookEndpoint, WebhookEventTrigger

from billing.simulator import sign_payload
from billing.stripe.catalog import WEBHOOK_EVENTS, plans_sync, webhook_endpoint_ensure
from billing.stripe.event_sync import event_apply
from billing.stripe.webhooks import (
    webhook_delivery_check,
    webhook_trigger_process,
    webhook_trigger_record,
)


@dataclass(frozen=True)
class Cost:
    calls: int
    queries: int


class Deliveries:
    """Events delivered to our endpoint and recorded as the endpoint's view records them, then
    processed as the worker processes them, in this test's transaction (nothing is queued: the
    transaction never commits). Each processing's Stripe calls and queries are counted."""

    def __init__(self, sim, endpoint: WebhookEndpoint) -> None:
        self.sim, self.endpoint = sim, endpoint

    def record(self, event: dict) -> WebhookEventTrigger:
        payload = json.dumps(event, default=str)
        signature = sign_payload(payload, self.endpoint.secret, int(time.time()))
        delivery = webhook_delivery_check(
            endpoint=self.endpoint, body=payload.encode(), headers={"Stripe-Signature": signature}
        )
        assert delivery.valid
        return webhook_trigger_record(delivery=delivery, remote_ip="127.0.0.1")

    def process(self, event: dict, apply=event_apply) -> Cost:
        trigger = self.record(event)
        calls_before = self.sim.api.costs.served
        with CaptureQueriesContext(connection) as queries:
            webhook_trigger_process(trigger_id=trigger.pk, apply=apply)
        trigger.refresh_from_db()
        assert trigger.processed and not trigger.exception, trigger.traceback
        return Cost(calls=self.sim.api.costs.served - calls_before, queries=len(queries))


def deliveries_to_us(sim) -> Deliveries:
    """Plans in Stripe and our endpoint, whose deliveries the test makes itself."""
    plans_sync()
    endpoint = webhook_endpoint_ensure(base_url="http://localhost")
    stripe.WebhookEndpoint.modify(endpoint.id, disabled=True)
    return Deliveries(sim, endpoint)


def per_delivery(costs: list[Cost]) -> tuple[float, float]:
    return (
        sum(cost.calls for cost in costs) / len(costs),
        sum(cost.queries for cost in costs) / len(costs),
    )


def events_of(customer_id: str, *, after: int = 0) -> list[dict]:
    """The events our endpoint listens to about the customer, created after `after`, oldest
    first (Stripe lists them newest first)."""
    events = []
    for event in stripe.Event.list(limit=100).auto_paging_iter():
        stripe_object = event.data.object
        owner = (
            stripe_object.id
            if stripe_object.object == "customer"
            else stripe_object.get("customer")
        )
        if event.type in WEBHOOK_EVENTS and owner == customer_id and event.created > after:
            events.append(event.to_dict())
    return events[::-1]


def clocked_subscription(tenant, lookup_key: str = "pro_monthly"):
    """The tenant's subscription, made in Stripe for a customer on a test clock: everything done
    to it until the clock moves happens in the same second. Nothing of it is stored here."""
    clock = stripe.test_helpers.TestClock.create(frozen_time=int(timezone.now().timestamp()))
    customer = stripe.Customer.create(
        email=tenant.email, test_clock=clock.id, metadata={"djstripe_subscriber": str(tenant.pk)}
    )
    price = stripe.Price.list(lookup_keys=[lookup_key]).data[0]
    return stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], default_payment_method="pm_card_visa"
    )

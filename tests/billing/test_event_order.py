"""Events applied from their bodies never roll an object back: an event known to be older than
the stored copy is skipped, one known to be newer is applied, and one that cannot be told apart
(two events of one second, a copy read from Stripe at an unknown moment) is settled by reading
the object from Stripe."""

from datetime import UTC, datetime

import pytest
import stripe
from django.conf import settings
from djstripe.models import Account, Event, Invoice, Subscription

from billing.models import Entitlement
from billing.plan_changes.services import plan_change
from billing.plans import ENTERPRISE, Interval
from billing.stripe.event_sync import Decision, StoredCopy, decide, digest, event_store
from tests.billing.stripe_events import (
    Deliveries,
    clocked_subscription,
    deliveries_to_us,
    events_of,
)

T0 = datetime(2026, 5, 1, tzinfo=UTC)
T1 = datetime(2026, 5, 1, 0, 0, 1, tzinfo=UTC)


def invoice(status: str, attempts: int = 0) -> dict:
    return {"id": "in_1", "object": "invoice", "status": status, "attempt_count": attempts}


def subscription(status: str = "active", period_start: int = 100, **fields) -> dict:
    items = {"data": [{"id": "si_1", "current_period_start": period_start}]}
    return {"id": "sub_1", "object": "subscription", "status": status, "items": items, **fields}


def exact(data: dict, as_of: datetime = T0) -> StoredCopy:
    """A copy taken from the body of an event created at `as_of`."""
    return StoredCopy(data=data, as_of=as_of, digest=digest(data))


def read_from_stripe(data: dict, as_of: datetime | None = T0) -> StoredCopy:
    return StoredCopy(data=data, as_of=as_of, digest="" if as_of else None)


@pytest.mark.parametrize(
    ("event_type", "created", "body", "stored", "decision"),
    [
        ("invoice.paid", T0, invoice("paid"), None, Decision.APPLY),
        ("invoice.created", T1, invoice("draft"), exact(invoice("paid")), Decision.SKIP),
        ("invoice.updated", T0, invoice("open"), exact(invoice("open", 1), T1), Decision.SKIP),
        ("customer.subscription.updated", T1, subscription(cancel_at_period_end=True),
         exact(subscription()), Decision.APPLY),
        ("customer.subscription.updated", T1, subscription(cancel_at_period_end=True),
         read_from_stripe(subscription()), Decision.FETCH),
        ("invoice.finalized", T0, invoice("open"), exact(invoice("paid")), Decision.SKIP),
        ("invoice.paid", T0, invoice("paid"), exact(invoice("open")), Decision.APPLY),
        ("invoice.payment_failed", T0, invoice("open", 2), exact(invoice("open", 1)),
         Decision.APPLY),
        ("customer.subscription.updated", T0, subscription(period_start=200),
         read_from_stripe(subscription(), as_of=None), Decision.APPLY),
        ("customer.subscription.updated", T0, subscription(),
         exact(subscription("canceled")), Decision.SKIP),
        ("invoice.payment_succeeded", T0, invoice("paid"), exact(invoice("paid")), Decision.SKIP),
        ("customer.subscription.updated", T0, subscription(cancel_at_period_end=True),
         exact(subscription()), Decision.FETCH),
    ],
    ids=[
        "nothing stored: apply",
        "a creation is never newer than a copy",
        "older than the copy: skip",
        "later than the event the copy is exactly: apply",
        "later than a copy read from Stripe at an unknown moment: fetch",
        "an open invoice is older than a paid one: skip",
        "a paid invoice is newer than an open one: apply",
        "one more payment attempt is newer: apply",
        "a later period is newer: apply",
        "a canceled subscription is never live again: skip",
        "the same state: skip",
        "the same second, the same progress: fetch",
    ],
)  # fmt: skip
def test_a_body_is_applied_only_when_known_to_be_newer_than_the_copy(
    event_type, created, body, stored, decision
):
    assert decide(event_type=event_type, created=created, body=body, stored=stored) is decision


@pytest.fixture
def webhooks(db, sim, stripe_module) -> Deliveries:
    return deliveries_to_us(sim)


def applied_in_order(webhooks: Deliveries, subscription) -> list[dict]:
    events = events_of(subscription.customer)
    for event in events:
        webhooks.process(event)
    return events


def stored_subscription(subscription_id: str) -> dict:
    return Subscription.objects.get(id=subscription_id).stripe_data


def test_an_older_renewal_delivered_after_a_newer_one_is_skipped_without_a_call(webhooks, tenant_a):
    subscription = clocked_subscription(tenant_a)
    created = applied_in_order(webhooks, subscription)
    webhooks.sim.advance(days=32, payment="succeed")
    webhooks.sim.advance(days=31, payment="succeed")
    updates = [
        event
        for event in events_of(subscription.customer, after=created[-1]["created"])
        if event["type"] == "customer.subscription.updated"
    ]
    assert len(updates) == 2
    older, newer = updates
    webhooks.process(newer)
    assert webhooks.process(older).calls == 0
    newest_period = newer["data"]["object"]["items"]["data"][0]["current_period_start"]
    stored = stored_subscription(subscription.id)
    assert stored["items"]["data"][0]["current_period_start"] == newest_period
    entitlement = Entitlement.objects.get(tenant=tenant_a)
    assert int(entitlement.period_start.timestamp()) == newest_period


@pytest.mark.parametrize("backwards", [False, True], ids=["in order", "backwards"])
def test_events_of_one_second_that_cannot_be_ordered_are_settled_by_reading_stripe(
    webhooks, tenant_a, backwards
):
    subscription = clocked_subscription(tenant_a)
    created = applied_in_order(webhooks, subscription)
    stripe.Subscription.modify(subscription.id, cancel_at_period_end=True)
    stripe.Subscription.modify(subscription.id, cancel_at_period_end=False)
    canceled, resumed = events_of(subscription.customer, after=created[-1]["created"] - 1)[-2:]
    assert canceled["created"] == resumed["created"] == created[-1]["created"]  # one second
    assert canceled["data"]["object"]["cancel_at_period_end"] is True

    # The cancellation differs from the copy and comes from the copy's second: Stripe is read.
    # The resumption equals the copy (the subscription is back as it was): nothing to do.
    deliveries = [resumed, canceled] if backwards else [canceled, resumed]
    costs = [webhooks.process(event).calls for event in deliveries]
    assert costs == ([0, 1] if backwards else [1, 0])
    assert stored_subscription(subscription.id)["cancel_at_period_end"] is False
    assert Entitlement.objects.get(tenant=tenant_a).cancel_at_period_end is False


def test_a_late_event_never_undoes_a_plan_change_read_from_stripe(webhooks, tenant_a):
    subscription = clocked_subscription(tenant_a)
    created = applied_in_order(webhooks, subscription)
    stripe.Subscription.modify(subscription.id, cancel_at_period_end=True)
    [late] = events_of(subscription.customer, after=created[-1]["created"] - 1)[-1:]
    assert late["type"] == "customer.subscription.updated"
    plan_change(tenant=tenant_a, plan=ENTERPRISE, interval=Interval.YEAR)

    assert webhooks.process(late).calls == 1
    entitlement = Entitlement.objects.get(tenant=tenant_a)
    assert (entitlement.subscribed_plan, entitlement.interval) == ("enterprise", "year")
    assert not entitlement.cancel_at_period_end


def test_a_deleted_subscription_is_not_brought_back_by_its_earlier_events(webhooks, tenant_a):
    subscription = clocked_subscription(tenant_a)
    stripe.Subscription.modify(subscription.id, cancel_at_period_end=True)
    stripe.Subscription.cancel(subscription.id)
    events = events_of(subscription.customer)
    sub_events = [event for event in events if event["type"].startswith("customer.subscription")]
    assert [event["type"] for event in sub_events] == [
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    ]
    for event in [e for e in events if e not in sub_events] + sub_events[::-1][:1]:
        webhooks.process(event)
    assert [webhooks.process(event).calls for event in sub_events[:2][::-1]] == [0, 0]
    assert stored_subscription(subscription.id)["status"] == "canceled"
    assert Entitlement.objects.get(tenant=tenant_a).status == "canceled"


def test_an_invoices_events_backwards_leave_it_paid_without_a_call(webhooks, tenant_a):
    subscription = clocked_subscription(tenant_a)
    created = applied_in_order(webhooks, subscription)
    webhooks.sim.advance(days=32, payment="succeed")
    renewal = events_of(subscription.customer, after=created[-1]["created"])
    invoice_events = [event for event in renewal if event["type"].startswith("invoice.")]
    assert [event["type"] for event in invoice_events] == [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    costs = [webhooks.process(event).calls for event in invoice_events[::-1]]
    assert costs == [0, 0, 0, 0]
    invoice_id = invoice_events[0]["data"]["object"]["id"]
    assert Invoice.objects.get(id=invoice_id).stripe_data["status"] == "paid"


def test_an_event_is_stored_as_djstripe_stores_it(webhooks, tenant_a):
    subscription = clocked_subscription(tenant_a)
    stripe.Subscription.modify(subscription.id, metadata={"note": "changed"})
    event = events_of(subscription.customer)[-1]  # an update made by a request, with its key
    data = webhooks.record(event).json_body
    compared = [
        field.attname
        for field in Event._meta.concrete_fields
        if field.name not in ("djstripe_id", "djstripe_created", "djstripe_updated")
    ]

    def stored() -> dict:
        return Event.objects.filter(id=event["id"]).values(*compared).get()

    account_id = Account.objects.get().id
    event_store(data, owner_account_id=account_id)
    ours = stored()
    Event.objects.filter(id=event["id"]).delete()
    Event._create_from_stripe_object(data, api_key=settings.STRIPE_SECRET_KEY)
    assert ours == stored()
    assert ours["request_id"] and ours["djstripe_owner_account_id"] == account_id

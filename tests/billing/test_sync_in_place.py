"""A newer body of a stored subscription or invoice written in place leaves dj-stripe's tables
exactly as dj-stripe's own sync of that body leaves them; a body that names anything not linked
yet is left to dj-stripe, with nothing written."""

import copy
import json

import pytest
import stripe
from django.apps import apps
from djstripe.models import Invoice, Subscription

from billing.stripe import boundary
from billing.stripe.sync_in_place import written_in_place
from tests.billing.stripe_events import (
    Deliveries,
    clocked_subscription,
    deliveries_to_us,
    events_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhooks(sim, stripe_module) -> Deliveries:
    return deliveries_to_us(sim)


def djstripe_tables() -> dict[str, list[dict]]:
    """Every row of dj-stripe's tables (but when each was last written), with many-to-many
    links, by table."""
    tables = {}
    for model in apps.get_app_config("djstripe").get_models():
        rows = []
        for row in model.objects.order_by("pk"):
            values = {
                field.attname: getattr(row, field.attname)
                for field in model._meta.concrete_fields
                if field.name != "djstripe_updated"
            }
            for field in model._meta.many_to_many:
                values[field.name] = sorted(getattr(row, field.name).values_list("pk", flat=True))
            rows.append(values)
        tables[model._meta.db_table] = rows
    return tables


def renewed(webhooks: Deliveries, tenant) -> list[dict]:
    """A subscription stored as its creation's events left it, then renewed in Stripe: the
    renewal's events, oldest first, not applied."""
    subscription = clocked_subscription(tenant)
    created = events_of(subscription.customer)
    for event in created:
        webhooks.process(event)
    webhooks.sim.advance(days=32, payment="succeed")
    return events_of(subscription.customer, after=created[-1]["created"])


def body_of(events: list[dict], event_type: str) -> dict:
    """The event's object as its delivery carries it (JSON)."""
    [event] = [event for event in events if event["type"] == event_type]
    return json.loads(json.dumps(event["data"]["object"], default=str))


@pytest.mark.parametrize(
    ("model", "event_type"),
    [(Subscription, "customer.subscription.updated"), (Invoice, "invoice.paid")],
    ids=["a renewed subscription", "a paid invoice"],
)
def test_a_newer_body_written_in_place_is_what_djstripe_writes(
    webhooks, tenant_a, model, event_type
):
    events = renewed(webhooks, tenant_a)
    webhooks.process(next(event for event in events if event["type"] == "invoice.created"))
    body = body_of(events, event_type)
    stored = model.objects.get(id=body["id"]).stripe_data
    assert stored != body

    assert written_in_place(model, body=body, stored=stored)
    in_place = djstripe_tables()
    model.sync_from_stripe_data(boundary.as_stripe_object(body))

    assert djstripe_tables() == in_place
    assert model.objects.get(id=body["id"]).stripe_data == body


def test_a_subscription_with_an_item_not_stored_is_left_to_djstripe(webhooks, tenant_a):
    body = body_of(renewed(webhooks, tenant_a), "customer.subscription.updated")
    stored = Subscription.objects.get(id=body["id"]).stripe_data
    added = copy.deepcopy(body["items"]["data"][0]) | {"id": "si_not_stored_yet"}
    body["items"]["data"].append(added)
    before = djstripe_tables()

    assert not written_in_place(Subscription, body=body, stored=stored)
    assert djstripe_tables() == before


def test_an_invoice_of_another_customer_or_with_a_new_line_is_left_to_djstripe(webhooks, tenant_a):
    events = renewed(webhooks, tenant_a)
    webhooks.process(next(event for event in events if event["type"] == "invoice.created"))
    body = body_of(events, "invoice.paid")
    stored = Invoice.objects.get(id=body["id"]).stripe_data
    other_customer = body | {"customer": stripe.Customer.create(email="o@example.com").id}
    new_line = copy.deepcopy(body)
    new_line["lines"]["data"].append(new_line["lines"]["data"][0] | {"id": "il_not_stored_yet"})
    before = djstripe_tables()

    assert not written_in_place(Invoice, body=other_customer, stored=stored)
    assert not written_in_place(Invoice, body=new_line, stored=stored)
    assert djstripe_tables() == before

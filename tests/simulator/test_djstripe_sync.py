"""dj-stripe 2.11 syncs and processes everything the simulator serves (real PostgreSQL, no mocks).

Objects made through the real ``stripe`` library are synced with dj-stripe's
``sync_from_stripe_data``; events the simulator delivers by webhook are processed with
``Event.process`` (what ``WebhookEventTrigger.process`` calls) on an empty dj-stripe database, and
through ``WebhookEventTrigger.from_request`` with the delivered body and ``Stripe-Signature``.

dj-stripe 2.11 against Stripe's current API (2026-08-26.dahlia) — what it gets wrong and what the
product must do instead. ``test_djstripe_limitations_with_the_current_api`` pins each item, so a
dj-stripe upgrade that fixes one fails that test and this list gets updated:

1. ``Subscription.current_period_start`` / ``current_period_end`` are ``None``: they read the
   subscription's top-level keys, which the current API moved onto the items. So
   ``Subscription.is_period_current()``, ``is_valid()``, ``is_status_temporarily_current()`` and
   ``extend()`` raise ``TypeError`` (``None`` compared with a datetime), and so do
   ``Customer.has_any_active_subscription()`` and ``Customer.is_subscribed_to()``;
   ``Customer.active_subscriptions`` is always empty.
   Product: take the period from the items —
   ``min(item.stripe_data["current_period_end"] for item in subscription.items.all())`` (one item
   here) — and decide access from ``subscription.status`` (``Customer.valid_subscriptions`` and
   ``Customer.subscription`` are status-only and work).
2. ``Subscription.plan`` and ``Subscription.quantity`` are ``None`` (gone from the subscription), so
   ``Subscription.reactivate()`` returns ``None`` and does nothing, and
   ``Subscription.objects.started_plan_summary_for()`` groups everything under a null plan.
   Product: resume with ``stripe.Subscription.modify(id, cancel_at_period_end=False)`` and sync the
   answer; the price is ``SubscriptionItem.price`` (a real foreign key, correct).
3. ``Invoice.subscription`` is ``None`` and ``Subscription.invoices`` is empty: dj-stripe reads
   ``invoice.subscription``; the current API links through
   ``invoice.parent.subscription_details.subscription``.
   Product: ``invoice.stripe_data["parent"]["subscription_details"]["subscription"]`` (guard for
   ``parent`` being ``None`` on one-off invoices).
4. ``Invoice.paid`` raises ``KeyError`` (no ``paid`` in the current API).
   Product: ``invoice.status == "paid"`` (``Invoice.status``, ``amount_due``, ``attempt_count``,
   ``billing_reason``, ``hosted_invoice_url`` and ``invoice_pdf`` work).
5. ``Invoice.charge``, ``Invoice.payment_intent`` and ``Charge.invoice`` are ``None``: the current
   API links a payment to its invoice only through ``invoice.payments`` (InvoicePayment objects),
   which dj-stripe does not model. Product: drive billing state from invoices (status,
   ``amount_paid``) and never from charges. (The simulator does not simulate payment intents, so
   ``invoice.payments`` is an empty list there.)
6. ``LineItem.subscription_item`` is ``None``, ``LineItem.price`` is ``None`` and
   ``LineItem.proration`` is ``False``: those moved to ``line.parent.subscription_item_details``
   / ``line.parent.invoice_item_details`` and ``line.pricing.price_details.price``.
   ``LineItem.subscription`` (still top-level) works. Product: read the price from
   ``line.stripe_data["pricing"]["price_details"]["price"]`` and proration from
   ``line.stripe_data["parent"][line.stripe_data["parent"]["type"]]["proration"]``.
7. ``Event.sync_from_stripe_data`` given a ``stripe`` library object (stripe >= 15 objects are no
   longer dicts) stores ``str(event.request)`` — JSON text — as ``Event.request_id``, and fails with
   ``DataError`` (``varchar(50)``) for every event caused by an API request with an idempotency key
   (``product.created``, ``customer.subscription.updated`` after an update call, …). This hits
   ``manage.py djstripe_sync_models Event`` and ``Event.sync_from_stripe_data(stripe.Event…)``.
   ``Event.process(data=event.to_dict())`` fails too (``TypeError``: stripe >= 15 turns
   ``*_decimal`` strings into ``Decimal``, which the JSON field cannot store).
   Product: process events only from plain JSON — the webhook body (``WebhookEventTrigger`` does
   that) or ``json.loads(str(stripe_event))`` into ``Event.process(data=...)`` — and leave
   ``Event`` out of ``djstripe_sync_models``.

Also (not an API-version issue): ``SubscriptionItem.price`` is a plain ``ForeignKey`` to dj-stripe's
own primary key, so ``item.price_id`` is an integer; compare ``item.price.id`` with Stripe ids.

Everything else the product relies on syncs correctly: products (with ``metadata``), their
features, prices (``lookup_key``, product link), customers (subscriber link through
``metadata.djstripe_subscriber``, default payment method), payment methods, Checkout sessions
(customer and subscription links), subscriptions (status, customer, ``cancel_at_period_end`` in
``stripe_data``), subscription items (price link, period in ``stripe_data``), invoices, their lines,
charges, webhook endpoints (with their secret), the account and the API key row dj-stripe makes.

No billing URLs exist yet, so the webhook path is exercised with ``RequestFactory`` and
``WebhookEventTrigger.from_request`` (what dj-stripe's ``ProcessWebhookView`` calls) — no URL conf
is needed. dj-stripe needs no change to ``loginexus/settings.py``: it reads the secret key from
``STRIPE_SECRET_KEY`` (demo mode sets the demo key) and makes its ``APIKey`` and ``Account`` rows
itself on first use.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
import stripe
from django.core.management import call_command
from django.db import DataError, transaction
from djstripe import models as djm

from billing.simulator import DEMO_SECRET_KEY
from loginexus.tenancy.models import Tenant
from tests.simulator.helpers import checkout, create_catalogue

pytestmark = pytest.mark.django_db

DAY = 86400
SYNCED = (
    djm.Account,
    djm.APIKey,
    djm.Customer,
    djm.PaymentMethod,
    djm.Product,
    djm.Price,
    djm.Feature,
    djm.ProductFeature,
    djm.Session,
    djm.Subscription,
    djm.SubscriptionItem,
    djm.Invoice,
    djm.LineItem,
    djm.Charge,
    djm.Event,
)


@pytest.fixture
def djstripe_on_sim(settings, stripe_module, sim):
    """dj-stripe in test mode with the demo key; ``stripe_module`` points the library at the sim."""
    settings.STRIPE_LIVE_MODE = False
    settings.STRIPE_TEST_SECRET_KEY = DEMO_SECRET_KEY
    settings.STRIPE_SECRET_KEY = DEMO_SECRET_KEY
    return sim


@pytest.fixture
def hooked(djstripe_on_sim, webhook_receiver):
    """A webhook endpoint on the simulator delivering every event to the receiver."""
    stripe.WebhookEndpoint.create(url=webhook_receiver.url, enabled_events=["*"])
    return djstripe_on_sim, webhook_receiver


# -- helpers -------------------------------------------------------------------------------


def _catalogue(client: stripe.StripeClient) -> dict[str, Any]:
    """The four LogiNexus prices, with an entitlement feature on the Pro product."""
    prices = create_catalogue(client)
    feature = client.v1.entitlements.features.create(
        params={"name": "Shipments", "lookup_key": "shipments"}
    )
    client.v1.products.features.create(
        prices["pro_monthly"].product, params={"entitlement_feature": feature.id}
    )
    return prices


def _delivered(sim, receiver) -> list[dict[str, Any]]:
    """Each delivered request (body, headers, event) once, in the order Stripe emitted them."""
    assert sim.wait_for_webhooks(timeout=10)
    emitted = [e["id"] for e in reversed(_api(sim, "/v1/events", limit=100)["data"])]
    by_id: dict[str, dict[str, Any]] = {}
    for request in receiver.requests:
        event = json.loads(request["body"])
        by_id.setdefault(event["id"], {**request, "event": event})
    assert sorted(by_id) == sorted(emitted), "every event reached the receiver"
    return [by_id[event_id] for event_id in emitted]


def _api(sim, path: str, **params: Any) -> dict[str, Any]:
    answer = requests.get(
        f"{sim.url}{path}",
        params=params,
        headers={"Authorization": f"Bearer {DEMO_SECRET_KEY}"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def _row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in SYNCED}


def _subscription_of(invoice: dict[str, Any]) -> str | None:
    parent = invoice.get("parent") or {}
    return (parent.get("subscription_details") or {}).get("subscription")


def _simulator_state(client: stripe.StripeClient, customer_id: str) -> dict[str, Any]:
    customer = client.v1.customers.retrieve(customer_id)
    subs = client.v1.subscriptions.list(params={"customer": customer_id, "status": "all"})
    invoices = client.v1.invoices.list(params={"customer": customer_id, "limit": 100})
    charges = client.v1.charges.list(params={"customer": customer_id, "limit": 100})
    return {
        "customer": (customer.id, customer.email, customer.invoice_settings.default_payment_method),
        "subscriptions": {
            sub.id: {
                "status": sub.status,
                "cancel_at_period_end": sub.cancel_at_period_end,
                "cancel_at": sub.cancel_at,
                "items": {
                    item.id: (item.price.id, item.current_period_start, item.current_period_end)
                    for item in sub["items"].data
                },
            }
            for sub in subs.data
        },
        "invoices": {
            inv.id: (
                inv.status,
                inv.amount_due,
                inv.amount_paid,
                inv.attempt_count,
                inv.billing_reason,
                _subscription_of(inv.to_dict()),
                sorted((line.id, line.amount) for line in inv.lines.data),
            )
            for inv in invoices.data
        },
        "charges": {ch.id: (ch.status, ch.amount, ch.payment_method) for ch in charges.data},
    }


def _djstripe_state(customer_id: str) -> dict[str, Any]:
    customer = djm.Customer.objects.get(id=customer_id)
    return {
        "customer": (customer.id, customer.email, customer.default_payment_method_id),
        "subscriptions": {
            sub.id: {
                "status": sub.status,
                "cancel_at_period_end": sub.cancel_at_period_end,
                "cancel_at": sub.cancel_at,
                "items": {
                    item.id: (
                        item.price.id,
                        item.stripe_data["current_period_start"],
                        item.stripe_data["current_period_end"],
                    )
                    for item in sub.items.all()
                },
            }
            for sub in customer.subscriptions.all()
        },
        "invoices": {
            inv.id: (
                inv.status,
                inv.amount_due,
                inv.stripe_data["amount_paid"],
                inv.attempt_count,
                inv.billing_reason,
                _subscription_of(inv.stripe_data),
                sorted(
                    (line.id, line.amount)
                    for line in djm.LineItem.objects.filter(stripe_data__invoice=inv.id)
                ),
            )
            for inv in customer.invoices.all()
        },
        "charges": {
            ch.id: (ch.status, int(ch.amount * 100), ch.payment_method_id)
            for ch in customer.charges.all()
        },
    }


def _paid_checkout(client, prices, **kwargs):
    session, answer = checkout(client, prices["pro_monthly"].id, **kwargs)
    assert answer.status_code == 303 and session.status == "complete"
    return session


# -- scenarios: what happens after a paid Checkout ------------------------------------------


def _nothing(client, sim, session, prices):
    pass


def _price_swap(client, sim, session, prices):
    sub = client.v1.subscriptions.retrieve(session.subscription)
    client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": sub["items"].data[0].id, "price": prices["enterprise_monthly"].id}],
            "proration_behavior": "create_prorations",
        },
    )


def _cancel_at_period_end(client, sim, session, prices):
    client.v1.subscriptions.update(session.subscription, params={"cancel_at_period_end": True})


def _cancel_now(client, sim, session, prices):
    client.v1.subscriptions.cancel(session.subscription)


def _paid_renewal(client, sim, session, prices):
    answer = requests.post(f"{sim.url}/_sim/advance", json={"days": 32}, timeout=10)
    assert answer.status_code == 200


def _declined_renewal(client, sim, session, prices):
    answer = requests.post(
        f"{sim.url}/_sim/advance", json={"days": 32, "payment": "fail"}, timeout=10
    )
    assert answer.status_code == 200
    assert client.v1.subscriptions.retrieve(session.subscription).status == "past_due"


SCENARIOS = {
    "checkout": (_nothing, {"active"}),
    "price_swap": (_price_swap, {"active"}),
    "cancel_at_period_end": (_cancel_at_period_end, {"active"}),
    "cancel_now": (_cancel_now, {"canceled"}),
    "paid_renewal": (_paid_renewal, {"active"}),
    "declined_renewal": (_declined_renewal, {"past_due"}),
}


# -- 1. objects ----------------------------------------------------------------------------


def test_catalogue_syncs_products_features_and_prices(djstripe_on_sim, stripe_client):
    prices = _catalogue(stripe_client)

    for key, price in prices.items():
        synced = djm.Price.sync_from_stripe_data(stripe.Price.retrieve(price.id))
        assert synced.lookup_key == key
        assert synced.active is True and synced.currency == "usd"
        assert synced.unit_amount == price.unit_amount
        assert synced.recurring["interval"] == price.recurring.interval
        assert synced.product_id == price.product
        assert synced.product.metadata["loginexus_plan"] == key.split("_")[0]
        assert str(synced.human_readable_price).startswith("$")

    assert djm.Product.objects.count() == 2
    pro = djm.Product.sync_from_stripe_data(stripe.Product.retrieve(prices["pro_monthly"].product))
    assert pro.name == "LogiNexus Pro" and pro.active is True
    assert pro.metadata == {"loginexus_plan": "pro"}
    assert [f.entitlement_feature.lookup_key for f in pro.features.all()] == ["shipments"]
    assert set(pro.prices.values_list("lookup_key", flat=True)) == {"pro_monthly", "pro_yearly"}


def test_paid_checkout_syncs_customer_subscription_invoice_charge_and_session(
    djstripe_on_sim, stripe_client
):
    prices = _catalogue(stripe_client)
    tenant = Tenant.objects.create(
        schema_name="sim_acme", name="Acme", slug="simacme", email="billing@acme.example"
    )
    customer = stripe.Customer.create(
        email=tenant.email, name=tenant.name, metadata={"djstripe_subscriber": str(tenant.pk)}
    )
    session = _paid_checkout(stripe_client, prices, customer=customer.id)

    synced_session = djm.Session.sync_from_stripe_data(
        stripe.checkout.Session.retrieve(session.id, expand=djm.Session.expand_fields)
    )
    assert synced_session.customer_id == customer.id
    assert synced_session.subscription_id == session.subscription
    assert (synced_session.status, synced_session.payment_status) == ("complete", "paid")
    assert synced_session.mode == "subscription" and synced_session.client_reference_id == "acme"
    assert synced_session.amount_total == 4900
    assert synced_session.line_items["data"][0]["price"]["id"] == prices["pro_monthly"].id

    dj_customer = djm.Customer.objects.get(id=customer.id)
    assert dj_customer.subscriber == tenant and tenant.djstripe_customers.get() == dj_customer
    dj_customer = djm.Customer.sync_from_stripe_data(stripe.Customer.retrieve(customer.id))
    assert dj_customer.email == "billing@acme.example" and dj_customer.subscriber == tenant

    sub = stripe.Subscription.retrieve(session.subscription)
    item = sub["items"].data[0]
    dj_sub = djm.Subscription.sync_from_stripe_data(sub)
    assert dj_sub.status == "active" and dj_sub.customer == dj_customer
    assert dj_sub.cancel_at_period_end is False and dj_sub.metadata == {"tenant": "acme"}
    assert dj_customer.subscription == dj_sub and dj_customer.valid_subscriptions == [dj_sub]
    (dj_item,) = dj_sub.items.all()
    assert dj_item.id == item.id and dj_item.quantity == 1
    assert dj_item.price.id == prices["pro_monthly"].id
    assert dj_item.price.product.metadata["loginexus_plan"] == "pro"
    assert dj_item.stripe_data["current_period_start"] == item.current_period_start
    assert dj_item.stripe_data["current_period_end"] == item.current_period_end
    assert item.current_period_end - item.current_period_start >= 28 * DAY
    again = djm.SubscriptionItem.sync_from_stripe_data(stripe.SubscriptionItem.retrieve(item.id))
    assert again.pk == dj_item.pk and again.subscription_id == sub.id

    pm_id = sub.default_payment_method
    dj_pm = djm.PaymentMethod.sync_from_stripe_data(stripe.PaymentMethod.retrieve(pm_id))
    assert dj_pm.customer == dj_customer and dj_pm.type == "card"
    assert dj_pm.stripe_data["card"]["last4"] == "4242"

    invoice = stripe.Invoice.retrieve(sub.latest_invoice)
    dj_invoice = djm.Invoice.sync_from_stripe_data(invoice)
    assert dj_invoice.customer == dj_customer
    assert (dj_invoice.status, dj_invoice.amount_due, dj_invoice.currency) == ("paid", 4900, "usd")
    assert dj_invoice.stripe_data["amount_paid"] == 4900
    assert dj_invoice.billing_reason == "subscription_create" and dj_invoice.number
    assert dj_invoice.hosted_invoice_url == invoice.hosted_invoice_url
    assert dj_invoice.hosted_invoice_url.startswith(djstripe_on_sim.url + "/invoices/")
    assert requests.get(dj_invoice.hosted_invoice_url, timeout=5).status_code == 200
    assert dj_invoice.invoice_pdf == invoice.invoice_pdf
    assert _subscription_of(dj_invoice.stripe_data) == sub.id  # the current API's link
    (line,) = djm.LineItem.objects.filter(stripe_data__invoice=invoice.id)
    assert line.amount == 4900 and line.subscription_id == sub.id
    assert line.stripe_data["pricing"]["price_details"]["price"] == prices["pro_monthly"].id
    assert line.stripe_data["parent"]["subscription_item_details"]["subscription_item"] == item.id
    assert (line.period_start, line.period_end) == (
        item.current_period_start,
        item.current_period_end,
    )

    (charge,) = stripe.Charge.list(customer=customer.id).data
    dj_charge = djm.Charge.sync_from_stripe_data(charge)
    assert dj_charge.status == "succeeded" and dj_charge.amount == Decimal("49.00")
    assert dj_charge.currency == "usd" and dj_charge.paid is True
    assert dj_charge.customer == dj_customer and dj_charge.payment_method == dj_pm


def test_webhook_endpoint_account_and_api_key_sync(djstripe_on_sim, webhook_receiver):
    created = stripe.WebhookEndpoint.create(
        url=webhook_receiver.url, enabled_events=["customer.subscription.updated", "invoice.paid"]
    )
    endpoint = djm.WebhookEndpoint.sync_from_stripe_data(created)
    assert endpoint.secret == created.secret and endpoint.secret.startswith("whsec_")
    assert (endpoint.url, endpoint.status) == (webhook_receiver.url, "enabled")
    assert endpoint.enabled_events == ["customer.subscription.updated", "invoice.paid"]
    # A retrieve carries no secret; syncing it keeps the one from the create answer.
    endpoint = djm.WebhookEndpoint.sync_from_stripe_data(
        stripe.WebhookEndpoint.retrieve(created.id)
    )
    assert endpoint.secret == created.secret

    account = stripe.Account.retrieve()
    dj_account = djm.Account.objects.get()
    assert dj_account.id == account.id == endpoint.djstripe_owner_account_id
    assert str(dj_account) == "LogiNexus (demo)"
    assert dj_account.default_currency == "usd" and dj_account.charges_enabled is True
    key = djm.APIKey.objects.get()
    assert (key.secret, key.livemode, key.type) == (DEMO_SECRET_KEY, False, "secret")
    assert key.djstripe_owner_account == dj_account
    assert dj_account.default_api_key == DEMO_SECRET_KEY


def test_upcoming_invoice_preview_of_a_price_swap(djstripe_on_sim, stripe_client):
    prices = _catalogue(stripe_client)
    session = _paid_checkout(stripe_client, prices)
    djm.Customer.sync_from_stripe_data(stripe.Customer.retrieve(session.customer))
    sub = stripe.Subscription.retrieve(session.subscription)
    upcoming = djm.Invoice.upcoming(
        customer=session.customer,
        subscription=sub.id,
        subscription_details={
            "items": [{"id": sub["items"].data[0].id, "price": prices["enterprise_monthly"].id}]
        },
    )
    assert upcoming.customer_id == session.customer
    assert upcoming.amount_due == sum(line.amount for line in upcoming._lineitems)
    assert any(
        line.stripe_data["parent"]["type"] == "invoice_item_details" for line in upcoming._lineitems
    )
    assert djm.Invoice.objects.count() == 0  # a preview is never stored


def test_djstripe_limitations_with_the_current_api(djstripe_on_sim, stripe_client):
    """Each item of the module docstring, as dj-stripe 2.11 behaves on current-API objects."""
    prices = _catalogue(stripe_client)
    session = _paid_checkout(stripe_client, prices)
    stripe_client.v1.subscriptions.update(
        session.subscription, params={"cancel_at_period_end": True}
    )
    sub = djm.Subscription.sync_from_stripe_data(stripe.Subscription.retrieve(session.subscription))
    invoice = djm.Invoice.sync_from_stripe_data(stripe.Invoice.retrieve(session.invoice))
    (charge,) = stripe.Charge.list(customer=session.customer).data
    charge = djm.Charge.sync_from_stripe_data(charge)
    customer = sub.customer

    # 1. The period is on the items only.
    assert sub.current_period_start is None and sub.current_period_end is None
    assert sub.items.get().stripe_data["current_period_end"] > 0
    for call in (
        sub.is_period_current,
        sub.is_valid,
        sub.is_status_temporarily_current,
        lambda: sub.extend(timedelta(days=1)),
        customer.has_any_active_subscription,
        lambda: customer.is_subscribed_to(prices["pro_monthly"].product),
    ):
        with pytest.raises(TypeError):
            call()
    assert customer.active_subscriptions == []
    assert customer.valid_subscriptions == [sub] and sub.is_status_current()
    # 2. No plan or quantity on the subscription: reactivate() is a no-op.
    assert sub.plan is None and sub.quantity is None
    assert sub.reactivate() is None
    assert stripe.Subscription.retrieve(sub.id).cancel_at_period_end is True
    # 3. The invoice's subscription link is under parent.
    assert invoice.subscription is None and not sub.invoices.exists()
    assert _subscription_of(invoice.stripe_data) == sub.id
    # 4. No `paid` on invoices.
    with pytest.raises(KeyError):
        invoice.paid  # noqa: B018
    assert invoice.status == "paid"
    # 5. Payments link to invoices only through invoice payments.
    assert invoice.charge is None and invoice.payment_intent is None and charge.invoice is None
    # 6. Line items: subscription item, price and proration moved under parent / pricing.
    line = djm.LineItem.objects.get()
    assert line.subscription_item is None and line.price is None and line.proration is False
    assert line.subscription_id == sub.id
    # 7. Events from the stripe library: request_id gets the request's JSON text.
    (updated,) = stripe.Event.list(type="customer.subscription.updated").data
    request = updated["request"]
    assert request["id"] and request["idempotency_key"]
    with pytest.raises(DataError), transaction.atomic():
        djm.Event.sync_from_stripe_data(updated)
    with pytest.raises(TypeError, match="Decimal"), transaction.atomic():
        djm.Event.process(data=updated.to_dict())  # stripe >= 15 puts Decimals in to_dict()
    assert djm.Event.process(data=json.loads(str(updated))).request_id == request["id"]


# -- 2. events -----------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_replaying_every_webhook_on_an_empty_database_reaches_the_simulators_state(
    hooked, stripe_client, scenario
):
    sim, receiver = hooked
    action, statuses = SCENARIOS[scenario]
    prices = _catalogue(stripe_client)
    session = _paid_checkout(stripe_client, prices)
    action(stripe_client, sim, session, prices)
    delivered = _delivered(sim, receiver)
    assert all(count == 0 for count in _row_counts().values())

    for delivery in delivered:
        processed = djm.Event.process(data=delivery["event"])
        assert (processed.id, processed.type) == (
            delivery["event"]["id"],
            delivery["event"]["type"],
        )

    expected = _simulator_state(stripe_client, session.customer)
    assert _djstripe_state(session.customer) == expected
    assert {s["status"] for s in expected["subscriptions"].values()} == statuses
    assert djm.Event.objects.count() == len(delivered)

    # Stripe may deliver an event again: processing it twice changes nothing.
    counts = _row_counts()
    for delivery in delivered:
        djm.Event.process(data=delivery["event"])
    assert _row_counts() == counts
    assert _djstripe_state(session.customer) == expected


def test_webhooks_processed_in_reverse_order_reach_the_same_state(hooked, stripe_client):
    """Stripe does not promise delivery order; dj-stripe re-retrieves each object, so it copes."""
    sim, receiver = hooked
    prices = _catalogue(stripe_client)
    session = _paid_checkout(stripe_client, prices)
    _price_swap(stripe_client, sim, session, prices)
    _declined_renewal(stripe_client, sim, session, prices)

    for delivery in reversed(_delivered(sim, receiver)):
        djm.Event.process(data=delivery["event"])

    assert _djstripe_state(session.customer) == _simulator_state(stripe_client, session.customer)


@pytest.mark.parametrize(
    ("scenario", "event_type"),
    [
        ("checkout", "customer.subscription.created"),
        ("price_swap", "customer.subscription.updated"),
        ("cancel_at_period_end", "customer.subscription.updated"),
        ("cancel_now", "customer.subscription.deleted"),
        ("declined_renewal", "customer.subscription.updated"),
        ("declined_renewal", "invoice.payment_failed"),
    ],
)
def test_one_event_alone_on_an_empty_database(hooked, stripe_client, scenario, event_type):
    """What a first webhook meets in production: nothing synced yet, not even the account."""
    sim, receiver = hooked
    action, _ = SCENARIOS[scenario]
    prices = _catalogue(stripe_client)
    session = _paid_checkout(stripe_client, prices)
    action(stripe_client, sim, session, prices)
    event = [d["event"] for d in _delivered(sim, receiver) if d["event"]["type"] == event_type][-1]

    djm.Event.process(data=event)

    expected = _simulator_state(stripe_client, session.customer)
    synced = _djstripe_state(session.customer)
    assert synced["customer"] == expected["customer"]
    if event_type.startswith("customer.subscription."):
        assert synced["subscriptions"] == expected["subscriptions"]
        # Syncing the subscription pulled in its customer, price, product and the features.
        (item,) = djm.SubscriptionItem.objects.all()
        product = item.price.product
        assert sorted(f.entitlement_feature.id for f in product.features.all()) == sorted(
            f.entitlement_feature.id for f in stripe.Product.list_features(product.id).data
        )
        assert djm.APIKey.objects.get().djstripe_owner_account == djm.Account.objects.get()
    else:
        invoice_id = event["data"]["object"]["id"]
        assert synced["invoices"] == {invoice_id: expected["invoices"][invoice_id]}
        assert expected["invoices"][invoice_id][:1] == ("open",)
        assert expected["invoices"][invoice_id][3] == 1  # one failed attempt so far


def test_test_clock_declined_renewal_goes_past_due_then_canceled(hooked, stripe_client):
    sim, receiver = hooked
    prices = _catalogue(stripe_client)
    clock = stripe_client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_767_225_600})
    customer = stripe_client.v1.customers.create(
        params={
            "email": "ops@acme.example",
            "test_clock": clock.id,
            "payment_method": "pm_card_chargeCustomerFail",
            "invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"},
        }
    )
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": prices["pro_monthly"].id}],
            "default_payment_method": customer.invoice_settings.default_payment_method,
        }
    )
    assert sub.status == "incomplete"
    stripe_client.v1.invoices.pay(sub.latest_invoice, params={"payment_method": "pm_card_visa"})
    end = sub["items"].data[0].current_period_end
    # Past the renewal and the hour its draft invoice waits before it is finalized and charged.
    stripe_client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": end + 3600 + 60}
    )

    delivered = _delivered(sim, receiver)
    assert "invoice.payment_failed" in [d["event"]["type"] for d in delivered]
    for delivery in delivered:
        djm.Event.process(data=delivery["event"])
    expected = _simulator_state(stripe_client, customer.id)
    assert expected["subscriptions"][sub.id]["status"] == "past_due"
    assert _djstripe_state(customer.id) == expected
    assert djm.Customer.objects.get(id=customer.id).stripe_data["test_clock"] == clock.id

    # After the last retry the subscription is canceled; the new webhooks bring dj-stripe along.
    stripe_client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": end + 20 * DAY}
    )
    for delivery in _delivered(sim, receiver)[len(delivered) :]:
        djm.Event.process(data=delivery["event"])
    expected = _simulator_state(stripe_client, customer.id)
    assert expected["subscriptions"][sub.id]["status"] == "canceled"
    assert _djstripe_state(customer.id) == expected


# -- 3. the webhook request path -----------------------------------------------------------


def _webhook_request(rf, body: str, headers: dict[str, str]):
    signature = next(v for k, v in headers.items() if k.lower() == "stripe-signature")
    return rf.post(
        "/stripe/webhook/",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signature},
        REMOTE_ADDR="127.0.0.1",
    )


def test_signed_webhooks_through_webhook_event_trigger(
    djstripe_on_sim, webhook_receiver, stripe_client, rf
):
    """The simulator's signed deliveries, fed to what dj-stripe's webhook view calls."""
    sim, receiver = djstripe_on_sim, webhook_receiver
    created = stripe.WebhookEndpoint.create(url=receiver.url, enabled_events=["*"])
    endpoint = djm.WebhookEndpoint.sync_from_stripe_data(created)
    assert endpoint.secret == created.secret
    prices = _catalogue(stripe_client)
    session = _paid_checkout(stripe_client, prices)
    _price_swap(stripe_client, sim, session, prices)
    delivered = _delivered(sim, receiver)

    for delivery in delivered:
        trigger = djm.WebhookEventTrigger.from_request(
            _webhook_request(rf, delivery["body"], delivery["headers"]), webhook_endpoint=endpoint
        )
        assert trigger.valid and trigger.processed and not trigger.exception
        assert trigger.event_id == delivery["event"]["id"]
    assert _djstripe_state(session.customer) == _simulator_state(stripe_client, session.customer)

    # A redelivery is valid and harmless.
    counts = _row_counts()
    last = delivered[-1]
    again = djm.WebhookEventTrigger.from_request(
        _webhook_request(rf, last["body"], last["headers"]), webhook_endpoint=endpoint
    )
    assert again.valid and again.processed and again.event_id == last["event"]["id"]
    assert _row_counts() == counts

    # A body that is not what the simulator signed is refused and processes nothing.
    forged = json.loads(last["body"])
    forged["id"] = "evt_forged000000000000000000"
    forged_trigger = djm.WebhookEventTrigger.from_request(
        _webhook_request(rf, json.dumps(forged), last["headers"]), webhook_endpoint=endpoint
    )
    assert not forged_trigger.valid and not forged_trigger.processed
    assert forged_trigger.event is None and not djm.Event.objects.filter(id=forged["id"]).exists()


# -- the sync command ----------------------------------------------------------------------

SERVED_MODELS = (
    "Account",
    "Product",
    "Feature",
    "Price",
    "Customer",
    "PaymentMethod",
    "Subscription",
    "SubscriptionItem",
    "Invoice",
    "LineItem",
    "Charge",
    "Session",
    "WebhookEndpoint",
)


def test_djstripe_sync_models_imports_what_the_simulator_serves(hooked, stripe_client):
    prices = _catalogue(stripe_client)
    session = _paid_checkout(stripe_client, prices)
    out, err = io.StringIO(), io.StringIO()

    call_command("djstripe_sync_models", *SERVED_MODELS, stdout=out, stderr=err)

    assert err.getvalue() == "", err.getvalue()
    counts = _row_counts()
    assert (counts["Product"], counts["Price"], counts["Feature"], counts["ProductFeature"]) == (
        2,
        4,
        1,
        1,
    )
    assert counts["Subscription"] == counts["Invoice"] == counts["LineItem"] == 1
    assert djm.WebhookEndpoint.objects.get().url.endswith("/stripe/webhook/")
    assert _djstripe_state(session.customer) == _simulator_state(stripe_client, session.customer)

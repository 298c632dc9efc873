"""Stripe's request conventions: auth, errors, idempotency, pagination, expand, filters."""

from __future__ import annotations

import time

import pytest
import requests
import stripe

from billing.simulator import DEMO_SECRET_KEY
from tests.simulator.helpers import checkout, create_catalogue


def test_missing_key_is_401_in_stripes_error_shape(sim):
    answer = requests.get(f"{sim.url}/v1/customers", timeout=5)
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "invalid_request_error"


def test_a_key_that_is_not_a_test_secret_key_is_refused(sim):
    client = stripe.StripeClient(
        "pk_test_nope", base_addresses={"api": sim.url}, max_network_retries=0
    )
    with pytest.raises(stripe.AuthenticationError):
        client.v1.customers.list()


def test_basic_auth_with_the_key_as_username_is_accepted(sim):
    answer = requests.get(f"{sim.url}/v1/customers", auth=(DEMO_SECRET_KEY, ""), timeout=5)
    assert answer.status_code == 200


def test_missing_parameter_is_400_with_param(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.products.create(params={})
    assert caught.value.http_status == 400
    assert caught.value.param == "name"
    assert caught.value.code == "parameter_missing"


def test_unknown_object_is_404_resource_missing(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.retrieve("cus_doesnotexist")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"


def test_declined_subscription_with_error_if_incomplete_is_402_card_declined(stripe_client):
    prices = create_catalogue(stripe_client)
    customer = stripe_client.v1.customers.create(
        params={
            "payment_method": "pm_card_chargeCustomerFail",
            "invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"},
        }
    )
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": prices["pro_monthly"].id}],
                "payment_behavior": "error_if_incomplete",
            }
        )
    assert caught.value.http_status == 402
    assert caught.value.code == "card_declined"


def test_same_idempotency_key_returns_the_same_response(stripe_client):
    first = stripe_client.v1.customers.create(
        params={"email": "a@example.com"}, options={"idempotency_key": "key-1"}
    )
    second = stripe_client.v1.customers.create(
        params={"email": "a@example.com"}, options={"idempotency_key": "key-1"}
    )
    assert first.id == second.id
    assert len(stripe_client.v1.customers.list().data) == 1


def test_reused_idempotency_key_with_other_parameters_is_an_idempotency_error(stripe_client):
    stripe_client.v1.customers.create(
        params={"email": "a@example.com"}, options={"idempotency_key": "key-2"}
    )
    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.customers.create(
            params={"email": "b@example.com"}, options={"idempotency_key": "key-2"}
        )


def test_lists_paginate_with_cursors_and_has_more(stripe_client):
    ids = [stripe_client.v1.customers.create(params={"name": f"c{i}"}).id for i in range(5)]
    newest_first = list(reversed(ids))
    page = stripe_client.v1.customers.list(params={"limit": 2})
    assert [c.id for c in page.data] == newest_first[:2] and page.has_more
    after = stripe_client.v1.customers.list(params={"limit": 2, "starting_after": page.data[-1].id})
    assert [c.id for c in after.data] == newest_first[2:4]
    last = stripe_client.v1.customers.list(params={"limit": 2, "starting_after": after.data[-1].id})
    assert [c.id for c in last.data] == newest_first[4:] and not last.has_more
    before = stripe_client.v1.customers.list(params={"limit": 2, "ending_before": after.data[0].id})
    assert [c.id for c in before.data] == newest_first[:2]
    assert [c.id for c in page.auto_paging_iter()] == newest_first


def test_module_level_auto_paging_iter_walks_every_page(stripe_module):
    for i in range(3):
        stripe.Customer.create(name=f"c{i}")
    assert len(list(stripe.Customer.list(limit=1).auto_paging_iter())) == 3


def test_expand_resolves_ids_including_inside_lists(stripe_client):
    prices = create_catalogue(stripe_client)
    session, _ = checkout(stripe_client, prices["pro_monthly"].id)
    subs = stripe_client.v1.subscriptions.list(
        params={
            "customer": session.customer,
            "expand": ["data.default_payment_method", "data.customer"],
        }
    )
    assert subs.data[0].default_payment_method.card.last4 == "4242"
    assert subs.data[0].customer.id == session.customer
    expanded = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items", "subscription.latest_invoice"]}
    )
    assert expanded.line_items.data[0].price.id == prices["pro_monthly"].id
    assert expanded.subscription.latest_invoice.status == "paid"


def test_prices_filter_by_lookup_keys_and_product(stripe_client):
    prices = create_catalogue(stripe_client)
    found = stripe_client.v1.prices.list(params={"lookup_keys": ["pro_monthly", "pro_yearly"]})
    assert {p.lookup_key for p in found.data} == {"pro_monthly", "pro_yearly"}
    by_product = stripe_client.v1.prices.list(params={"product": prices["pro_monthly"].product})
    assert len(by_product.data) == 2


def test_account_and_product_features_are_served_for_dj_stripe(stripe_client):
    account = stripe_client.v1.accounts.retrieve_current()
    assert account.id.startswith("acct_")
    assert account.settings.dashboard.display_name
    prices = create_catalogue(stripe_client)
    features = stripe_client.v1.products.features.list(prices["pro_monthly"].product)
    assert features.data == []


def test_keep_alive_requests_answer_without_a_delayed_ack_stall(stripe_client):
    """Headers and body leave in two writes; with Nagle on, each call waited ~40 ms for the
    client's delayed ACK (dj-stripe makes a dozen calls per webhook)."""
    stripe_client.v1.customers.list()
    started = time.monotonic()
    for _ in range(30):
        stripe_client.v1.customers.list()
    assert time.monotonic() - started < 0.6


def test_no_connected_accounts_and_no_legacy_sources_are_listed(stripe_module):
    customer = stripe.Customer.create(email="a@example.com", payment_method="pm_card_visa")
    assert stripe.Account.list().data == []
    for kind in ("card", "bank_account"):
        assert stripe.Customer.list_sources(customer.id, object=kind).data == []
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe.Customer.list_sources("cus_missing", object="card")
    assert missing.value.http_status == 404

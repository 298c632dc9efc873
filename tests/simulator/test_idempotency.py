"""Idempotent requests as Stripe keeps them: a result is saved only once the endpoint began
executing, replays say so, and keys are matched on the parameters, not on the body's bytes."""

from __future__ import annotations

import pytest
import requests
import stripe

from billing.simulator import DEMO_SECRET_KEY
from tests.simulator.helpers import create_catalogue


def _post(sim, path: str, body: str, key: str) -> requests.Response:
    return requests.post(
        f"{sim.url}{path}",
        data=body,
        timeout=5,
        headers={
            "Authorization": f"Bearer {DEMO_SECRET_KEY}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Idempotency-Key": key,
        },
    )


def test_a_request_that_failed_validation_is_not_saved_so_the_corrected_retry_runs(
    stripe_client,
):
    prices = create_catalogue(stripe_client)
    customer = stripe_client.v1.customers.create(
        params={"payment_method": "pm_card_visa", "email": "a@example.com"}
    )
    key = {"idempotency_key": "sub-1"}
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.subscriptions.create(params={"customer": customer.id}, options=key)
    assert missing.value.code == "parameter_missing" and missing.value.param == "items"
    with pytest.raises(stripe.InvalidRequestError) as ill_typed:
        stripe_client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": prices["pro_monthly"].id, "quantity": "two"}],
            },
            options=key,
        )
    assert ill_typed.value.param == "items[0][quantity]"

    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": prices["pro_monthly"].id}],
            "default_payment_method": stripe_client.v1.payment_methods.list(
                params={"customer": customer.id}
            )
            .data[0]
            .id,
        },
        options=key,
    )
    assert sub.status == "active"


def test_errors_before_any_handler_are_not_saved_for_the_key(sim):
    unknown = _post(sim, "/v1/no_such_things", "name=x", "key-early")
    assert unknown.status_code == 404
    malformed = _post(sim, "/v1/customers", "metadata[tenant=acme", "key-early")
    assert malformed.status_code == 400
    created = _post(sim, "/v1/customers", "email=a%40example.com", "key-early")
    assert created.status_code == 200 and created.json()["object"] == "customer"


def test_an_error_after_the_endpoint_began_is_saved_and_replayed(sim):
    first = _post(sim, "/v1/customers/cus_missing", "email=a%40example.com", "key-404")
    again = _post(sim, "/v1/customers/cus_missing", "email=a%40example.com", "key-404")
    assert first.status_code == again.status_code == 404
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_replay_says_so_and_carries_the_first_request_id(sim):
    first = _post(sim, "/v1/customers", "email=a%40example.com&name=Ada", "key-replay")
    assert "Idempotent-Replayed" not in first.headers
    replay = _post(sim, "/v1/customers", "email=a%40example.com&name=Ada", "key-replay")
    assert replay.status_code == 200 and replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["Request-Id"] == first.headers["Request-Id"]
    assert replay.headers["Original-Request"] == first.headers["Request-Id"]
    fresh = _post(sim, "/v1/customers", "email=b%40example.com", "key-other")
    assert "Idempotent-Replayed" not in fresh.headers
    assert fresh.headers["Request-Id"] != first.headers["Request-Id"]


def test_the_same_parameters_in_another_order_are_the_same_request(sim, stripe_client):
    body = "email=a%40example.com&metadata[tenant]=acme&metadata[plan]=pro&name=Ada"
    reordered = "name=Ada&metadata[plan]=pro&email=a%40example.com&metadata[tenant]=acme"
    first = _post(sim, "/v1/customers", body, "key-order")
    second = _post(sim, "/v1/customers", reordered, "key-order")
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert len(stripe_client.v1.customers.list().data) == 1

    other = _post(sim, "/v1/customers", "name=Ada&email=a%40example.com", "key-order")
    assert other.status_code == 400
    assert other.json()["error"]["type"] == "idempotency_error"

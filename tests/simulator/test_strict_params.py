"""The simulator refuses what Stripe refuses, with Stripe's errors, and applies the real
parameters it used to drop: the review's findings, one test each."""

from __future__ import annotations

import pytest
import requests
import stripe

from billing.simulator import DEMO_SECRET_KEY
from tests.simulator.helpers import create_catalogue


def _refused(call, *, param: str, code: str | None, message: str | None = None):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        call()
    error = caught.value
    assert (error.http_status, error.param, error.code) == (400, param, code)
    if message is not None:
        assert error.user_message == message
    return error


def test_an_unknown_parameter_on_create_is_refused(stripe_client):
    _refused(
        lambda: stripe_client.v1.customers.create(params={"emial": "jenny@example.com"}),
        param="emial",
        code="parameter_unknown",
        message="Received unknown parameter: emial",
    )
    assert stripe_client.v1.customers.list().data == []


def test_an_unknown_parameter_on_update_is_refused(stripe_client):
    price = create_catalogue(stripe_client)["pro_monthly"]
    _refused(
        lambda: stripe_client.v1.prices.update(price.id, params={"unit_amount": 100}),
        param="unit_amount",
        code="parameter_unknown",
        message="Received unknown parameter: unit_amount",
    )
    assert stripe_client.v1.prices.retrieve(price.id).unit_amount == 4900


def test_an_unknown_query_parameter_on_a_list_is_refused(sim):
    answer = requests.get(
        f"{sim.url}/v1/customers?doesnotexist=1",
        headers={"Authorization": f"Bearer {DEMO_SECRET_KEY}"},
        timeout=5,
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (
        "invalid_request_error",
        "parameter_unknown",
        "doesnotexist",
    )


def test_an_unknown_nested_parameter_is_named_by_its_full_path(stripe_client):
    price = create_catalogue(stripe_client)["pro_monthly"]
    _refused(
        lambda: stripe_client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "line_items": [{"price": price.id}],
                "success_url": "http://acme.localhost:8000/",
                "subscription_data": {"foo": "bar"},
            }
        ),
        param="subscription_data[foo]",
        code="parameter_unknown",
        message="Received unknown parameter: subscription_data[foo]",
    )


def test_balance_shipping_and_preferred_locales_are_applied_on_customer_update(stripe_client):
    customer = stripe_client.v1.customers.create(params={"email": "jenny@example.com"})
    shipping = {
        "name": "Jenny Rosen",
        "phone": "+4930123",
        "address": {"line1": "Hafenstraße 1", "city": "Hamburg", "country": "DE"},
    }
    stripe_client.v1.customers.update(
        customer.id,
        params={"balance": -1500, "shipping": shipping, "preferred_locales": ["de", "en"]},
    )
    updated = stripe_client.v1.customers.retrieve(customer.id)
    assert updated.balance == -1500
    assert updated.preferred_locales == ["de", "en"]
    assert updated.shipping.name == "Jenny Rosen"
    assert updated.shipping.address.city == "Hamburg"
    assert updated.shipping.address.line2 is None
    stripe_client.v1.customers.update(customer.id, params={"shipping": ""})
    assert stripe_client.v1.customers.retrieve(customer.id).shipping is None


def test_a_customer_balance_is_the_next_invoices_starting_balance(stripe_client):
    price = create_catalogue(stripe_client)["pro_monthly"]
    customer = stripe_client.v1.customers.create(
        params={"balance": -900, "payment_method": "pm_card_visa"}
    )
    subscription = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "default_payment_method": stripe_client.v1.payment_methods.list(
                params={"customer": customer.id}
            )
            .data[0]
            .id,
        }
    )
    invoice = stripe_client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.starting_balance, invoice.amount_due) == (-900, 4000)


def test_a_products_type_is_kept_and_filters_the_list(stripe_client):
    good = stripe_client.v1.products.create(params={"name": "Pallet", "type": "good"})
    stripe_client.v1.products.create(params={"name": "Tracking"})
    assert stripe_client.v1.products.retrieve(good.id).type == "good"
    assert [p.id for p in stripe_client.v1.products.list(params={"type": "good"}).data] == [good.id]


def test_a_portal_configurations_features_and_business_profile_are_kept(stripe_client):
    configuration = stripe_client.v1.billing_portal.configurations.create(
        params={
            "features": {"invoice_history": {"enabled": False}},
            "business_profile": {"headline": "LogiNexus billing"},
        }
    )
    kept = stripe_client.v1.billing_portal.configurations.retrieve(configuration.id)
    assert kept.features.invoice_history.enabled is False
    assert kept.features.subscription_cancel.enabled is True
    assert kept.business_profile.headline == "LogiNexus billing"


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (
            {f"k{i}": "v" for i in range(51)},
            "Metadata can have up to 50 keys, but you've set 51. Email us at "
            "support+metadata@stripe.com for more information.",
        ),
        ({"k" * 41: "v"}, f"Invalid key: {'k' * 41} must be a string under 40 characters"),
        ({"k": "v" * 501}, f"Invalid val: {'v' * 501} must be a string under 500 characters"),
    ],
    ids=["51 keys", "41-character key", "501-character value"],
)
def test_metadata_beyond_stripes_limits_is_refused(stripe_client, metadata, message):
    _refused(
        lambda: stripe_client.v1.customers.create(params={"metadata": metadata}),
        param="metadata",
        code=None,
        message=message,
    )


def test_metadata_at_stripes_limits_is_kept(stripe_client):
    metadata = {f"{i:02d}" + "k" * 38: "v" * 500 for i in range(50)}
    customer = stripe_client.v1.customers.create(params={"metadata": metadata})
    assert stripe_client.v1.customers.retrieve(customer.id).metadata.to_dict() == metadata


def test_an_update_that_would_leave_more_than_50_metadata_keys_is_refused(stripe_client):
    customer = stripe_client.v1.customers.create(
        params={"metadata": {f"a{i}": "v" for i in range(30)}}
    )
    _refused(
        lambda: stripe_client.v1.customers.update(
            customer.id, params={"metadata": {f"b{i}": "v" for i in range(21)}}
        ),
        param="metadata",
        code=None,
        message="Metadata can have up to 50 keys, but you've set 51. Email us at "
        "support+metadata@stripe.com for more information.",
    )


def test_a_non_integer_amount_is_parameter_invalid_integer(stripe_client):
    product = stripe_client.v1.products.create(params={"name": "Pro"})
    _refused(
        lambda: stripe_client.v1.prices.create(
            params={"product": product.id, "currency": "usd", "unit_amount": "abc"}
        ),
        param="unit_amount",
        code="parameter_invalid_integer",
        message="Invalid integer: abc",
    )


def test_booleans_are_true_or_false_only(stripe_client):
    _refused(
        lambda: stripe_client.v1.products.create(params={"name": "Pro", "active": "True"}),
        param="active",
        code=None,
        message="Invalid boolean: True",
    )


def test_a_value_outside_an_enum_names_the_allowed_values(stripe_client):
    _refused(
        lambda: stripe_client.v1.checkout.sessions.create(
            params={"mode": "subscripton", "success_url": "http://acme.localhost:8000/"}
        ),
        param="mode",
        code=None,
        message="Invalid mode: must be one of payment, setup, or subscription",
    )


def test_an_empty_string_unsets_only_what_stripe_lets_a_client_unset(stripe_client):
    product = stripe_client.v1.products.create(params={"name": "Pro", "description": "Plan"})
    stripe_client.v1.products.update(product.id, params={"description": ""})
    assert stripe_client.v1.products.retrieve(product.id).description is None
    error = _refused(
        lambda: stripe_client.v1.products.update(product.id, params={"name": ""}),
        param="name",
        code="parameter_invalid_empty",
    )
    assert "'name' cannot be unset" in error.user_message


def test_a_missing_required_parameter_is_parameter_missing(stripe_client):
    product = stripe_client.v1.products.create(params={"name": "Pro"})
    _refused(
        lambda: stripe_client.v1.prices.create(params={"product": product.id, "unit_amount": 1}),
        param="currency",
        code="parameter_missing",
        message="Missing required param: currency.",
    )


def test_expanding_a_property_that_is_not_expandable_is_refused(stripe_client):
    customer = stripe_client.v1.customers.create(params={"email": "jenny@example.com"})
    for path in ("email", "foo", "invoice_settings.footer"):
        _refused(
            lambda path=path: stripe_client.v1.customers.retrieve(
                customer.id, params={"expand": [path]}
            ),
            param="expand",
            code=None,
            message=f"This property cannot be expanded ({path}).",
        )
    expanded = stripe_client.v1.customers.retrieve(
        customer.id, params={"expand": ["invoice_settings.default_payment_method", "tax"]}
    )
    assert expanded.tax.automatic_tax == "unrecognized_location"


def test_a_stripe_parameter_the_simulator_does_not_simulate_is_refused(stripe_client):
    price = create_catalogue(stripe_client)["pro_monthly"]
    _refused(
        lambda: stripe_client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "line_items": [{"price": price.id, "adjustable_quantity": {"enabled": True}}],
                "success_url": "http://acme.localhost:8000/",
            }
        ),
        param="line_items[0][adjustable_quantity]",
        code="parameter_unknown",
        message="Received parameter line_items[0][adjustable_quantity], which Stripe accepts "
        "but which is not simulated.",
    )


def test_a_refused_request_does_not_use_up_its_idempotency_key(stripe_client):
    """Stripe saves no idempotent result for a request that failed validation."""
    options = {"idempotency_key": "create-jenny"}
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.create(params={"emial": "jenny@example.com"}, options=options)
    customer = stripe_client.v1.customers.create(
        params={"email": "jenny@example.com"}, options=options
    )
    assert customer.email == "jenny@example.com"

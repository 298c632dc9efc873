"""A customer's tax IDs as Stripe keeps them: created, listed, expanded on the customer, deleted,
given at the customer's creation, refused when malformed, and copied onto its invoices."""

from __future__ import annotations

import pytest
import stripe

from tests.simulator.helpers import create_catalogue, event_types


def _customer(client, **params):
    return client.v1.customers.create(params={"payment_method": "pm_card_visa", **params})


def test_a_tax_id_is_created_listed_expanded_on_its_customer_and_deleted(stripe_client):
    customer = _customer(stripe_client)
    created = stripe_client.v1.customers.tax_ids.create(
        customer.id, params={"type": "eu_vat", "value": "DE123456789"}
    )
    assert created.id.startswith("txi_")
    assert (created.type, created.value, created.country) == ("eu_vat", "DE123456789", "DE")
    assert created.customer == customer.id
    assert created.owner.type == "customer"
    assert created.verification.status == "pending"
    listed = stripe_client.v1.customers.tax_ids.list(customer.id)
    assert [tax_id.id for tax_id in listed.data] == [created.id]
    assert "tax_ids" not in stripe_client.v1.customers.retrieve(customer.id)
    expanded = stripe_client.v1.customers.retrieve(customer.id, params={"expand": ["tax_ids"]})
    assert [tax_id.value for tax_id in expanded.tax_ids.data] == ["DE123456789"]

    deleted = stripe_client.v1.customers.tax_ids.delete(customer.id, created.id)
    assert deleted.deleted is True
    assert stripe_client.v1.customers.tax_ids.list(customer.id).data == []
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.customers.tax_ids.retrieve(customer.id, created.id)
    assert missing.value.http_status == 404
    assert event_types(stripe_client, type="customer.tax_id.*") == [
        "customer.tax_id.created",
        "customer.tax_id.deleted",
    ]


@pytest.mark.parametrize(
    ("tax_type", "value"),
    [
        ("eu_vat", "DE12345"),
        ("eu_vat", "123456789"),
        ("eu_vat", "US123456789"),
        ("gb_vat", "GB12"),
        ("us_ein", "12345"),
    ],
)
def test_a_malformed_tax_id_is_refused_as_stripe_refuses_it(stripe_client, tax_type, value):
    customer = _customer(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.customers.tax_ids.create(
            customer.id, params={"type": tax_type, "value": value}
        )
    assert refused.value.http_status == 400
    assert refused.value.code == "tax_id_invalid"
    assert refused.value.param == "value"
    assert refused.value.user_message == f"Invalid value for {tax_type}."
    assert stripe_client.v1.customers.tax_ids.list(customer.id).data == []


def test_an_unknown_tax_id_type_is_refused(stripe_client):
    customer = _customer(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.customers.tax_ids.create(
            customer.id, params={"type": "xx_vat", "value": "1"}
        )
    assert refused.value.param == "type"


def test_a_tax_id_of_another_customer_is_not_found(stripe_client):
    owner, other = _customer(stripe_client), _customer(stripe_client)
    created = stripe_client.v1.customers.tax_ids.create(
        owner.id, params={"type": "gb_vat", "value": "GB123456789"}
    )
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.customers.tax_ids.delete(other.id, created.id)
    assert missing.value.http_status == 404
    assert len(stripe_client.v1.customers.tax_ids.list(owner.id).data) == 1


def test_a_customer_created_with_tax_id_data_has_them_and_a_malformed_one_creates_nothing(
    stripe_client,
):
    customer = _customer(stripe_client, tax_id_data=[{"type": "eu_vat", "value": "NL123456789B01"}])
    assert [t.value for t in stripe_client.v1.customers.tax_ids.list(customer.id).data] == [
        "NL123456789B01"
    ]
    before = len(stripe_client.v1.customers.list().data)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _customer(stripe_client, tax_id_data=[{"type": "eu_vat", "value": "NL1"}])
    assert (refused.value.code, refused.value.param) == (
        "tax_id_invalid",
        "tax_id_data[0][value]",
    )
    assert len(stripe_client.v1.customers.list().data) == before


def test_invoices_carry_the_tax_ids_the_customer_had_when_they_were_made(stripe_client):
    prices = create_catalogue(stripe_client)
    customer = _customer(
        stripe_client,
        name="Alpha Freight GmbH",
        address={"line1": "Hafenstrasse 1", "city": "Hamburg", "country": "DE"},
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    stripe_client.v1.customers.tax_ids.create(
        customer.id, params={"type": "eu_vat", "value": "DE123456789"}
    )
    subscription = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": prices["pro_monthly"].id}]}
    )
    invoice = stripe_client.v1.invoices.retrieve(subscription.latest_invoice)
    assert [dict(tax_id) for tax_id in invoice.customer_tax_ids] == [
        {"type": "eu_vat", "value": "DE123456789"}
    ]
    assert invoice.customer_name == "Alpha Freight GmbH"
    assert invoice.customer_address.city == "Hamburg"

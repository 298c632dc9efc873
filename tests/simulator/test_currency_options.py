"""Prices in several currencies as Stripe keeps them: `currency_options` given at creation and
shown when expanded; subscriptions, invoices and Checkout in one of them; one currency for a
customer's live subscriptions."""

from __future__ import annotations

import pytest
import requests
import stripe

from tests.simulator.helpers import event_types


@pytest.fixture
def price(stripe_client):
    product = stripe_client.v1.products.create(params={"name": "LogiNexus Pro"})
    return stripe_client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 4900,
            "tax_behavior": "exclusive",
            "recurring": {"interval": "month"},
            "currency_options": {
                "eur": {"unit_amount": 4500, "tax_behavior": "exclusive"},
                "gbp": {"unit_amount": 3900},
            },
        }
    )


def _customer(client, **params):
    return client.v1.customers.create(
        params={
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
            **params,
        }
    )


def test_currency_options_are_shown_only_when_expanded_with_the_prices_own_currency(
    stripe_client, price
):
    assert "currency_options" not in stripe_client.v1.prices.retrieve(price.id)
    expanded = stripe_client.v1.prices.retrieve(price.id, params={"expand": ["currency_options"]})
    options = expanded.currency_options
    assert list(options.to_dict()) == ["usd", "eur", "gbp"]
    assert (options["usd"].unit_amount, options["usd"].tax_behavior) == (4900, "exclusive")
    assert (options["eur"].unit_amount, str(options["eur"].unit_amount_decimal)) == (4500, "4500")
    assert options["gbp"].tax_behavior == "unspecified"
    assert options["gbp"].custom_unit_amount is None
    listed = stripe_client.v1.prices.list(params={"expand": ["data.currency_options"]})
    assert listed.data[0].currency_options["gbp"].unit_amount == 3900


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"eur": {"tax_behavior": "exclusive"}}, "currency_options[eur][unit_amount]"),
        ({"eur": {"unit_amount": "lots"}}, "currency_options[eur][unit_amount]"),
        ({"eur": {"unit_amount": 4500, "tiers": [{"up_to": 1}]}}, "currency_options[eur][tiers]"),
    ],
)
def test_a_malformed_currency_option_is_refused(stripe_client, options, param):
    product = stripe_client.v1.products.create(params={"name": "Pro"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": 4900,
                "currency_options": options,
            }
        )
    assert refused.value.http_status == 400
    assert refused.value.param == param
    assert stripe_client.v1.prices.list().data == []


def test_a_subscription_in_euros_is_invoiced_at_the_euro_option(stripe_client, price):
    customer = _customer(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "currency": "eur"}
    )
    assert (sub.status, sub.currency) == ("active", "eur")
    assert sub["items"].data[0].price.currency == "usd"  # the price itself, as Stripe shows it
    invoice = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    assert (invoice.currency, invoice.subtotal, invoice.total, invoice.amount_paid) == (
        "eur",
        4500,
        4500,
        4500,
    )
    line = invoice.lines.data[0]
    assert (line.currency, line.amount, str(line.pricing.unit_amount_decimal)) == (
        "eur",
        4500,
        "4500",
    )
    assert "€45.00" in line.description
    assert stripe_client.v1.customers.retrieve(customer.id).currency == "eur"


def test_a_currency_the_price_does_not_have_is_refused(stripe_client, price):
    customer = _customer(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": price.id}], "currency": "jpy"}
        )
    assert refused.value.http_status == 400
    assert "jpy" in refused.value.user_message
    assert stripe_client.v1.subscriptions.list().data == []


def test_a_customer_with_a_live_subscription_cannot_take_a_second_currency(stripe_client, price):
    customer = _customer(stripe_client)
    first = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": price.id}], "currency": "gbp"}
        )
    assert refused.value.http_status == 400
    assert refused.value.user_message.startswith(
        "You cannot combine currencies on a single customer."
    )
    assert "currency usd" in refused.value.user_message
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer.id,
                "currency": "gbp",
                "line_items": [{"price": price.id, "quantity": 1}],
                "success_url": "http://acme.localhost:8000/billing/success/",
            }
        )
    assert len(stripe_client.v1.subscriptions.list().data) == 1

    stripe_client.v1.subscriptions.cancel(first.id)
    again = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "currency": "gbp"}
    )
    assert again.currency == "gbp"


def test_a_price_without_the_subscriptions_currency_cannot_replace_its_price(stripe_client, price):
    customer = _customer(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "currency": "eur"}
    )
    usd_only = stripe_client.v1.prices.create(
        params={
            "product": price.product,
            "currency": "usd",
            "unit_amount": 19900,
            "recurring": {"interval": "month"},
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.subscriptions.update(
            sub.id, params={"items": [{"id": sub["items"].data[0].id, "price": usd_only.id}]}
        )
    assert refused.value.param == "items[0][price]"
    after = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert after["items"].data[0].price.id == price.id


def test_checkout_in_pounds_charges_the_pound_option(stripe_client, price):
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "currency": "gbp",
            "line_items": [{"price": price.id, "quantity": 2}],
            "success_url": "http://acme.localhost:8000/billing/success/",
        }
    )
    assert (session.currency, session.amount_subtotal, session.amount_total) == ("gbp", 7800, 7800)
    items = stripe_client.v1.checkout.sessions.line_items.list(session.id)
    assert (items.data[0].currency, items.data[0].amount_total) == ("gbp", 7800)
    page = requests.get(session.url, timeout=10).text
    assert "£78.00" in page

    answer = requests.post(session.url, data={"outcome": "pay"}, allow_redirects=False, timeout=10)
    assert answer.status_code == 303
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    sub = stripe_client.v1.subscriptions.retrieve(paid.subscription)
    invoice = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    assert (sub.currency, invoice.currency, invoice.amount_paid) == ("gbp", "gbp", 7800)
    assert "checkout.session.completed" in event_types(stripe_client)

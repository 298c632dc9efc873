"""Stripe Tax as the simulator applies it: an EU consumer pays its country's VAT, an EU business
with a VAT ID is reverse charged, anyone else pays no tax; Checkout collects the address and
tax ID it needs and saves them onto the customer."""

from __future__ import annotations

import pytest
import requests
import stripe

from billing.simulator.shapes import missing_fields
from billing.simulator.taxes import EU_STANDARD_RATES
from tests.pdf_text import pdf_text
from tests.simulator.helpers import event_types

GERMANY = {"line1": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}
FRANCE = {"line1": "1 rue de Rivoli", "postal_code": "75001", "city": "Paris", "country": "FR"}


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
            "currency_options": {"eur": {"unit_amount": 4500, "tax_behavior": "exclusive"}},
        }
    )


def _subscribe(client, price, *, address, currency="eur", **customer_params):
    customer = client.v1.customers.create(
        params={
            "address": address,
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
            **customer_params,
        }
    )
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "currency": currency,
            "automatic_tax": {"enabled": True},
        }
    )
    return sub, client.v1.invoices.retrieve(sub.latest_invoice)


def test_all_27_eu_states_have_a_standard_rate():
    assert len(EU_STANDARD_RATES) == 27
    assert {code: str(EU_STANDARD_RATES[code]) for code in ("DE", "FR", "NL", "IE")} == {
        "DE": "19",
        "FR": "20",
        "NL": "21",
        "IE": "23",
    }


def test_a_german_consumer_pays_19_percent_vat_on_top_of_the_price(stripe_client, price, sim):
    sub, invoice = _subscribe(stripe_client, price, address=GERMANY)
    assert sub.automatic_tax.enabled is True
    assert (invoice.subtotal, invoice.total_excluding_tax, invoice.total) == (4500, 4500, 5355)
    assert (invoice.amount_due, invoice.amount_paid, invoice.status) == (5355, 5355, "paid")
    assert invoice.automatic_tax.enabled is True
    assert invoice.automatic_tax.status == "complete"
    [total_tax] = invoice.total_taxes
    assert (total_tax.amount, total_tax.taxable_amount) == (855, 4500)
    assert (total_tax.taxability_reason, total_tax.tax_behavior) == ("standard_rated", "exclusive")
    [line_tax] = invoice.lines.data[0].taxes
    assert (line_tax.amount, line_tax.taxability_reason, line_tax.type) == (
        855,
        "standard_rated",
        "tax_rate_details",
    )
    rate = sim.api.state.get("tax_rate", line_tax.tax_rate_details.tax_rate)
    assert (rate["country"], rate["percentage"], rate["tax_type"]) == ("DE", 19.0, "vat")
    assert missing_fields(rate) == []
    charge = stripe_client.v1.charges.list(params={"customer": sub.customer}).data[0]
    assert (charge.amount, charge.currency) == (5355, "eur")


def test_a_french_business_with_a_vat_id_is_reverse_charged(stripe_client, price):
    _, invoice = _subscribe(
        stripe_client,
        price,
        address=FRANCE,
        tax_id_data=[{"type": "eu_vat", "value": "FRAB123456789"}],
    )
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (4500, 4500, 4500)
    [total_tax] = invoice.total_taxes
    assert (total_tax.amount, total_tax.taxability_reason, total_tax.taxable_amount) == (
        0,
        "reverse_charge",
        4500,
    )
    assert invoice.lines.data[0].taxes[0].taxability_reason == "reverse_charge"
    page = requests.get(invoice.hosted_invoice_url, timeout=10).text
    assert "Tax to be paid on reverse charge basis" in page
    pdf = pdf_text(requests.get(invoice.invoice_pdf, timeout=10).content)
    assert "VAT - FR (0% on €45.00): €0.00" in pdf
    assert "Tax to be paid on reverse charge basis" in pdf


def test_a_customer_outside_the_eu_pays_no_tax(stripe_client, price):
    address = {"line1": "1 Main St", "postal_code": "10001", "city": "New York", "country": "US"}
    _, invoice = _subscribe(stripe_client, price, address=address, currency="usd")
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (4900, 4900, 4900)
    [total_tax] = invoice.total_taxes
    assert (total_tax.amount, total_tax.taxability_reason) == (0, "not_collecting")


def test_automatic_tax_for_a_customer_stripe_cannot_place_is_refused(stripe_client, price):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _subscribe(stripe_client, price, address={"line1": "1 Main St", "country": "US"})
    assert refused.value.http_status == 400
    assert refused.value.code == "customer_tax_location_invalid"
    assert stripe_client.v1.subscriptions.list().data == []


def test_a_renewal_is_taxed_like_the_first_invoice(stripe_client, price, sim):
    sub, _ = _subscribe(stripe_client, price, address=GERMANY)
    sim.advance(days=32)
    renewal = stripe_client.v1.invoices.retrieve(
        stripe_client.v1.subscriptions.retrieve(sub.id).latest_invoice
    )
    assert renewal.billing_reason == "subscription_cycle"
    assert (renewal.subtotal, renewal.total, renewal.total_taxes[0].amount) == (4500, 5355, 855)


def test_turning_automatic_tax_on_taxes_the_next_invoice(stripe_client, price, sim):
    customer = stripe_client.v1.customers.create(
        params={"address": GERMANY, "payment_method": "pm_card_visa"}
    )
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "currency": "eur",
            "default_payment_method": "pm_card_visa",
        }
    )
    first = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    assert (first.total, first.total_taxes, first.automatic_tax.enabled) == (4500, [], False)
    updated = stripe_client.v1.subscriptions.update(
        sub.id, params={"automatic_tax": {"enabled": True}}
    )
    assert updated.automatic_tax.enabled is True
    sim.advance(days=32)
    renewal = stripe_client.v1.invoices.retrieve(
        stripe_client.v1.subscriptions.retrieve(sub.id).latest_invoice
    )
    assert renewal.total == 5355


def _tax_checkout(client, price, **params):
    return client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "currency": "eur",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": "http://acme.localhost:8000/billing/success/",
            "automatic_tax": {"enabled": True},
            **params,
        }
    )


def test_checkout_collects_the_address_and_vat_id_and_saves_them_onto_the_customer(
    stripe_client, price
):
    customer = stripe_client.v1.customers.create(params={"name": "Alpha Freight"})
    session = _tax_checkout(
        stripe_client,
        price,
        customer=customer.id,
        billing_address_collection="required",
        tax_id_collection={"enabled": True},
        customer_update={"address": "auto", "name": "auto"},
    )
    assert session.automatic_tax.enabled is True
    assert session.billing_address_collection == "required"
    assert session.tax_id_collection.enabled is True
    page = requests.get(session.url, timeout=10).text
    assert "name='postal_code'" in page and "name='tax_id_value'" in page

    answer = requests.post(
        session.url,
        data={"outcome": "pay", **GERMANY, "tax_id_type": "eu_vat", "tax_id_value": "DE123456789"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert paid.customer_details.address.country == "DE"
    assert paid.customer_details.address.postal_code == "10115"
    assert [(t.type, t.value) for t in paid.customer_details.tax_ids] == [("eu_vat", "DE123456789")]
    assert (paid.total_details.amount_tax, paid.amount_total) == (0, 4500)
    saved = stripe_client.v1.customers.retrieve(customer.id, params={"expand": ["tax_ids"]})
    assert saved.address.city == "Berlin"
    assert [t.value for t in saved.tax_ids.data] == ["DE123456789"]
    invoice = stripe_client.v1.invoices.retrieve(paid.invoice)
    assert invoice.total_taxes[0].taxability_reason == "reverse_charge"
    assert invoice.customer_address.country == "DE"
    assert {"customer.updated", "customer.tax_id.created"} <= set(event_types(stripe_client))


def test_checkout_of_a_german_consumer_adds_the_vat_to_the_session(stripe_client, price):
    customer = stripe_client.v1.customers.create(params={"name": "Jenny"})
    session = _tax_checkout(
        stripe_client,
        price,
        customer=customer.id,
        billing_address_collection="required",
        customer_update={"address": "auto"},
    )
    requests.post(
        session.url, data={"outcome": "pay", **GERMANY}, allow_redirects=False, timeout=10
    )
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.amount_subtotal, paid.total_details.amount_tax, paid.amount_total) == (
        4500,
        855,
        5355,
    )
    assert paid.automatic_tax.status == "complete"
    assert stripe_client.v1.invoices.retrieve(paid.invoice).amount_paid == 5355


def test_the_hosted_page_refuses_to_pay_without_the_address_it_asks_for(stripe_client, price):
    customer = stripe_client.v1.customers.create(params={"name": "Jenny"})
    session = _tax_checkout(
        stripe_client,
        price,
        customer=customer.id,
        billing_address_collection="required",
        customer_update={"address": "auto"},
    )
    answer = requests.post(
        session.url, data={"outcome": "pay", "line1": "", "country": "DE"}, timeout=10
    )
    assert answer.status_code == 400
    assert "Enter your billing address" in answer.text
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert stripe_client.v1.subscriptions.list().data == []


def test_a_malformed_vat_id_on_the_hosted_page_is_refused(stripe_client, price):
    customer = stripe_client.v1.customers.create(params={"name": "Jenny"})
    session = _tax_checkout(
        stripe_client,
        price,
        customer=customer.id,
        billing_address_collection="required",
        tax_id_collection={"enabled": True},
        customer_update={"address": "auto", "name": "auto"},
    )
    answer = requests.post(
        session.url,
        data={"outcome": "pay", **GERMANY, "tax_id_type": "eu_vat", "tax_id_value": "DE12"},
        timeout=10,
    )
    assert answer.status_code == 400
    assert "Invalid value for eu_vat." in answer.text
    assert stripe_client.v1.customers.retrieve(customer.id).address is None


def test_automatic_tax_in_checkout_needs_an_address_it_may_save(stripe_client, price):
    customer = stripe_client.v1.customers.create(params={"name": "Jenny"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _tax_checkout(stripe_client, price, customer=customer.id)
    assert refused.value.param == "automatic_tax[enabled]"
    assert "customer_update[address]" in refused.value.user_message


def test_tax_id_collection_for_an_existing_customer_needs_its_name_saved(stripe_client, price):
    customer = stripe_client.v1.customers.create(params={"name": "Jenny", "address": GERMANY})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _tax_checkout(
            stripe_client, price, customer=customer.id, tax_id_collection={"enabled": True}
        )
    assert refused.value.param == "tax_id_collection[enabled]"
    assert stripe_client.v1.checkout.sessions.list().data == []


def test_vat_is_reckoned_on_the_price_after_its_discount(stripe_client, price):
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 20, "duration": "once"})
    stripe_client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "WELCOME20"}
    )
    customer = stripe_client.v1.customers.create(params={"name": "Jenny", "address": GERMANY})
    session = _tax_checkout(stripe_client, price, customer=customer.id, allow_promotion_codes=True)
    answer = requests.post(
        session.url,
        data={"outcome": "pay", "promotion_code": "WELCOME20"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    invoice = stripe_client.v1.invoices.retrieve(paid.invoice)
    assert (invoice.subtotal, invoice.total_excluding_tax, invoice.total) == (4500, 3600, 4284)
    assert (invoice.total_taxes[0].amount, invoice.total_taxes[0].taxable_amount) == (684, 3600)
    assert (paid.total_details.amount_discount, paid.total_details.amount_tax) == (900, 684)
    assert paid.amount_total == invoice.amount_paid == 4284
    summary = pdf_text(requests.get(invoice.invoice_pdf, timeout=10).content)[-7:]
    assert summary == [
        "Subtotal: €45.00",
        "WELCOME20 (20% off): -€9.00",
        "Total excluding tax: €36.00",
        "VAT - DE (19% on €36.00): €6.84",
        "Total: €42.84",
        "Amount paid: €42.84",
        "Amount due: €0.00",
    ]


def test_an_invoice_without_tax_prints_its_total_in_pounds_and_no_tax_line(stripe_client, sim):
    product = stripe_client.v1.products.create(params={"name": "LogiNexus Pro"})
    price = stripe_client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "gbp",
            "unit_amount": 3900,
            "recurring": {"interval": "month"},
        }
    )
    address = {"line1": "1 Main St", "postal_code": "10001", "city": "New York", "country": "US"}
    _, invoice = _subscribe(stripe_client, price, address=address, currency="gbp")
    text = pdf_text(requests.get(invoice.invoice_pdf, timeout=10).content)
    assert text[-4:] == [
        "Subtotal: £39.00",
        "Total: £39.00",
        "Amount paid: £39.00",
        "Amount due: £0.00",
    ]
    assert not any("VAT" in line for line in text)

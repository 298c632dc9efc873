"""Parameters the simulator used to drop and now applies as Stripe does."""

from __future__ import annotations

from tests.simulator.helpers import create_catalogue


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

"""Prices in USD, EUR and GBP: the plans list, the prices synced to Stripe with their currency
options, and checkout in the currency asked for, the customer's or the address's."""

import json

import pytest
import stripe
from djstripe.models import Customer, Price, Subscription

from billing.stripe.catalog import plans_sync
from loginexus.tenancy.models import Tenant
from tests.billing.test_api import live_subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_ready(sim, stripe_module):
    plans_sync()
    return sim


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def _located(tenant, country, **address):
    Tenant.objects.filter(pk=tenant.pk).update(
        billing_address_country=country,
        billing_address_line1=address.get("line1", "Hauptstraße 1"),
        billing_address_postal_code=address.get("postal_code", "10115"),
        billing_address_city=address.get("city", "Berlin"),
    )


def test_the_plans_list_every_currencys_amounts_and_the_workspaces_currency(admin_client_a):
    response = admin_client_a.get("/api/v1/billing/plans/")
    assert response.status_code == 200
    plans = {plan["code"]: plan for plan in response.json()}
    assert plans["pro"]["amounts"] == {
        "month": {"usd": 4900, "eur": 4500, "gbp": 3900},
        "year": {"usd": 49000, "eur": 45000, "gbp": 39000},
    }
    assert plans["enterprise"]["amounts"] == {
        "month": {"usd": 19900, "eur": 18500, "gbp": 15900},
        "year": {"usd": 199000, "eur": 185000, "gbp": 159000},
    }
    assert plans["free"]["amounts"] == {}
    assert plans["pro"]["prices"] == {"month": "49.00", "year": "490.00"}
    assert {plan["currency"] for plan in plans.values()} == {"usd"}


def test_a_workspace_in_france_sees_its_plans_in_euros(admin_client_a, tenant_a):
    _located(tenant_a, "FR", city="Paris", postal_code="75001", line1="1 rue de Rivoli")
    plans = admin_client_a.get("/api/v1/billing/plans/").json()
    assert {plan["currency"] for plan in plans} == {"eur"}
    page = admin_client_a.get("/billing/pricing/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "€45" in body and "€185" in body
    assert "$49" not in body


def test_every_price_carries_eur_and_gbp_options_and_a_second_sync_changes_nothing(stripe_ready):
    plans_sync()
    stored = {price.lookup_key: price.id for price in Price.objects.filter(active=True)}
    remote = stripe.Price.retrieve(stored["pro_monthly"], expand=["currency_options"])
    assert (remote.currency, remote.unit_amount, remote.tax_behavior) == ("usd", 4900, "exclusive")
    options = {code: option.unit_amount for code, option in remote.currency_options.items()}
    assert options == {"usd": 4900, "eur": 4500, "gbp": 3900}
    yearly = stripe.Price.retrieve(stored["enterprise_yearly"], expand=["currency_options"])
    assert yearly.currency_options["gbp"].unit_amount == 159000
    assert yearly.currency_options["eur"].tax_behavior == "exclusive"

    plans_sync()
    assert {p.lookup_key: p.id for p in Price.objects.filter(active=True)} == stored
    assert len(stripe.Price.list(limit=100).data) == 4


def test_a_price_whose_currency_options_differ_is_replaced(stripe_ready):
    old = Price.objects.get(lookup_key="pro_monthly")
    product = stripe.Product.retrieve(old.stripe_data["product"])
    usd_only = stripe.Price.create(
        product=product.id,
        currency="usd",
        unit_amount=4900,
        tax_behavior="exclusive",
        recurring={"interval": "month"},
        lookup_key="pro_monthly",
        transfer_lookup_key=True,
    )
    plans_sync()
    current = Price.objects.get(lookup_key="pro_monthly")
    assert current.id not in (old.id, usd_only.id)
    options = stripe.Price.retrieve(current.id, expand=["currency_options"]).currency_options
    assert options["eur"].unit_amount == 4500


@pytest.mark.parametrize(
    ("country", "currency", "amount"),
    [("DE", "eur", 4500), ("GB", "gbp", 3900), ("US", "usd", 4900)],
)
def test_checkout_defaults_to_the_currency_of_the_billing_address(
    admin_client_a, tenant_a, stripe_ready, country, currency, amount
):
    _located(tenant_a, country)
    response = post(
        admin_client_a, "/api/v1/billing/checkout/", {"plan": "pro", "interval": "month"}
    )
    assert response.status_code == 201, response.json()
    session = stripe.checkout.Session.retrieve(response.json()["session_id"])
    assert (session.currency, session.amount_subtotal) == (currency, amount)


def test_checkout_without_an_address_is_in_dollars(admin_client_a, stripe_ready):
    response = post(
        admin_client_a, "/api/v1/billing/checkout/", {"plan": "pro", "interval": "year"}
    )
    session = stripe.checkout.Session.retrieve(response.json()["session_id"])
    assert (session.currency, session.amount_subtotal) == ("usd", 49000)


def test_checkout_in_the_currency_asked_for(admin_client_a, tenant_a, stripe_ready):
    _located(tenant_a, "DE")
    response = post(
        admin_client_a,
        "/api/v1/billing/checkout/",
        {"plan": "enterprise", "interval": "year", "currency": "gbp"},
    )
    assert response.status_code == 201, response.json()
    session = stripe.checkout.Session.retrieve(response.json()["session_id"])
    assert (session.currency, session.amount_subtotal) == ("gbp", 159000)


def test_checkout_refuses_a_currency_we_do_not_sell_in(admin_client_a, stripe_ready):
    response = post(
        admin_client_a,
        "/api/v1/billing/checkout/",
        {"plan": "pro", "interval": "month", "currency": "chf"},
    )
    assert response.status_code == 400
    assert set(response.json()) == {"currency"}
    assert stripe.checkout.Session.list().data == []


def test_a_customer_billed_in_dollars_is_refused_a_checkout_in_euros(
    admin_client_a, tenant_a, stripe_ready
):
    subscription = live_subscription(tenant_a)
    Subscription.sync_from_stripe_data(stripe.Subscription.cancel(subscription.id))
    Customer.sync_from_stripe_data(stripe.Customer.retrieve(subscription.customer_id))
    refused = post(
        admin_client_a,
        "/api/v1/billing/checkout/",
        {"plan": "pro", "interval": "month", "currency": "eur"},
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "currency_mismatch"
    assert refused.json()["currency"] == "usd"
    assert stripe.checkout.Session.list().data == []

    _located(tenant_a, "DE")  # an address in the euro area does not move the customer's currency
    kept = post(admin_client_a, "/api/v1/billing/checkout/", {"plan": "pro", "interval": "month"})
    assert kept.status_code == 201
    assert stripe.checkout.Session.retrieve(kept.json()["session_id"]).currency == "usd"


def test_a_customer_whose_stored_copy_predates_its_subscription_keeps_the_subscriptions_currency(
    admin_client_a, tenant_a, stripe_ready
):
    subscription = live_subscription(tenant_a)
    Subscription.sync_from_stripe_data(stripe.Subscription.cancel(subscription.id))
    assert Customer.objects.get(id=subscription.customer_id).stripe_data["currency"] is None
    refused = post(
        admin_client_a,
        "/api/v1/billing/checkout/",
        {"plan": "pro", "interval": "month", "currency": "gbp"},
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "currency_mismatch"


def test_a_trial_of_a_german_workspace_runs_in_euros_with_stripe_tax_on(
    admin_client_a, tenant_a, stripe_ready
):
    _located(tenant_a, "DE")
    response = post(admin_client_a, "/api/v1/billing/trial/", {"plan": "pro"})
    assert response.status_code == 201, response.json()
    [subscription] = Subscription.objects.filter(customer__subscriber=tenant_a)
    remote = stripe.Subscription.retrieve(subscription.id)
    assert (remote.status, remote.currency, remote.automatic_tax.enabled) == (
        "trialing",
        "eur",
        True,
    )


def test_a_trial_of_a_workspace_without_an_address_runs_in_dollars_without_tax(
    admin_client_a, tenant_a, stripe_ready
):
    response = post(admin_client_a, "/api/v1/billing/trial/", {"plan": "pro"})
    assert response.status_code == 201, response.json()
    [subscription] = Subscription.objects.filter(customer__subscriber=tenant_a)
    remote = stripe.Subscription.retrieve(subscription.id)
    assert (remote.currency, remote.automatic_tax.enabled) == ("usd", False)


def _euro_subscription(tenant, lookup_key):
    customer = stripe.Customer.create(
        email=tenant.email, metadata={"djstripe_subscriber": str(tenant.pk)}
    )
    Customer.sync_from_stripe_data(customer)
    price = stripe.Price.list(lookup_keys=[lookup_key]).data[0]
    subscription = stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": price.id}],
        currency="eur",
        default_payment_method="pm_card_visa",
    )
    return Subscription.sync_from_stripe_data(subscription)


def test_a_plan_change_of_a_subscription_in_euros_is_previewed_in_euros(
    admin_client_a, tenant_a, stripe_ready
):
    _euro_subscription(tenant_a, "enterprise_monthly")
    preview = "/api/v1/billing/change-plan/preview/"
    downgrade = admin_client_a.get(preview, {"plan": "pro", "interval": "month"}).json()
    assert downgrade["due_now"] == {"amount": 0, "currency": "eur"}
    assert (downgrade["next_invoice"]["amount"], downgrade["next_invoice"]["currency"]) == (
        4500,
        "eur",
    )
    upgrade = admin_client_a.get(preview, {"plan": "enterprise", "interval": "year"}).json()
    assert upgrade["due_now"]["currency"] == "eur"
    assert (upgrade["next_invoice"]["amount"], upgrade["next_invoice"]["currency"]) == (
        185000,
        "eur",
    )


def _switch(body: str) -> str:
    """The currency switch of a pricing page (empty when the page has none)."""
    start = body.find('<nav class="toggle" aria-label="Currency">')
    return body[start : body.index("</nav>", start)] if start >= 0 else ""


def test_a_visitor_sees_dollars_with_a_switch_to_euros_and_pounds(public_client):
    body = public_client.get("/pricing/").content.decode()
    switch = _switch(body)
    assert '<a href="?interval=month&amp;currency=usd" aria-current="true"' in switch
    assert '<a href="?interval=month&amp;currency=eur">' in switch
    assert '<a href="?interval=month&amp;currency=gbp">' in switch
    assert "$49" in body and "€45" not in body
    assert "Prices in US dollars, excluding tax." in body


def test_a_visitor_switching_to_pounds_sees_pounds_and_keeps_them_across_intervals(
    public_client,
):
    body = public_client.get("/pricing/?interval=year&currency=gbp").content.decode()
    assert "£390" in body and "£1,590" in body and "$" not in body.split("<main", 1)[1]
    assert '<a href="?interval=year&amp;currency=gbp" aria-current="true"' in _switch(body)
    assert 'href="?interval=month&amp;currency=gbp"' in body  # the interval toggle keeps it
    assert "Prices in pounds sterling, excluding tax." in body


@pytest.mark.parametrize("asked", ["jpy", "", "EUR%00", "../../"])
def test_a_currency_we_do_not_sell_in_shows_the_default(public_client, asked):
    response = public_client.get(f"/pricing/?currency={asked}")
    assert response.status_code == 200
    assert 'currency=usd" aria-current="true"' in _switch(response.content.decode())


def test_a_workspace_in_germany_defaults_to_euros_and_may_switch_before_it_is_billed(
    admin_client_a, tenant_a
):
    _located(tenant_a, "DE")
    body = admin_client_a.get("/billing/pricing/").content.decode()
    assert 'currency=eur" aria-current="true"' in _switch(body)
    assert "€45" in body
    assert '<input type="hidden" name="currency" value="eur">' in body

    switched = admin_client_a.get("/billing/pricing/?currency=usd").content.decode()
    assert 'currency=usd" aria-current="true"' in _switch(switched)
    assert "$49" in switched and "€45" not in switched
    assert '<input type="hidden" name="currency" value="usd">' in switched

    bad = admin_client_a.get("/billing/pricing/?currency=xyz")
    assert bad.status_code == 200
    assert 'currency=eur" aria-current="true"' in _switch(bad.content.decode())


def test_checkout_from_the_pricing_page_is_in_the_currency_it_showed(
    admin_client_a, tenant_a, stripe_ready
):
    _located(tenant_a, "DE")
    answer = admin_client_a.post(
        "/billing/checkout/", {"plan": "pro", "interval": "month", "currency": "gbp"}
    )
    assert answer.status_code == 302
    [session] = stripe.checkout.Session.list().data
    assert (session.currency, session.url) == ("gbp", answer["Location"])


def test_a_workspace_billed_in_dollars_keeps_them_and_sees_no_switch(
    admin_client_a, tenant_a, stripe_ready
):
    subscription = live_subscription(tenant_a)
    Subscription.sync_from_stripe_data(stripe.Subscription.cancel(subscription.id))
    Customer.sync_from_stripe_data(stripe.Customer.retrieve(subscription.customer_id))
    _located(tenant_a, "DE")

    body = admin_client_a.get("/billing/pricing/?currency=eur").content.decode()
    assert _switch(body) == ""
    assert (
        "This workspace is billed in US dollars, so its prices are shown in dollars: a workspace "
        "keeps its currency."
    ) in body
    assert "$49" in body and "€45" not in body


def test_the_pricing_pages_speak_german_of_their_currency(public_client, admin_client_a, tenant_a):
    public = public_client.get("/pricing/?currency=eur", HTTP_ACCEPT_LANGUAGE="de")
    assert "Preise in Euro, zuzüglich Steuern." in public.content.decode()
    assert 'aria-label="Währung"' in public.content.decode()
    Customer.objects.create(
        id="cus_in_pounds", subscriber=tenant_a, livemode=False, stripe_data={"currency": "gbp"}
    )
    page = admin_client_a.get("/billing/pricing/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Dieser Arbeitsbereich wird in Pfund Sterling abgerechnet" in page
    assert "39\xa0£" in page and "49\xa0$" not in page

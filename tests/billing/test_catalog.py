"""billing_sync_plans: products and prices in Stripe made once, kept in step, synced locally."""

import pytest
import stripe
from django.core.management import call_command
from djstripe.models import Price, Product, WebhookEndpoint

from billing.plans import ENTERPRISE, PRO, Interval
from billing.selectors import price_get
from billing.stripe.catalog import plans_sync, webhook_endpoint_ensure

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_module")]

LOOKUP_KEYS = ["pro_monthly", "pro_yearly", "enterprise_monthly", "enterprise_yearly"]


def test_sync_creates_two_products_and_four_prices_once(sim):
    plans_sync()
    plans_sync()
    products = stripe.Product.list().data
    assert sorted(p.metadata["loginexus_plan"] for p in products) == ["enterprise", "pro"]
    prices = stripe.Price.list(lookup_keys=LOOKUP_KEYS).data
    assert sorted((p.lookup_key, p.unit_amount, p.recurring.interval) for p in prices) == [
        ("enterprise_monthly", 19900, "month"),
        ("enterprise_yearly", 199000, "year"),
        ("pro_monthly", 4900, "month"),
        ("pro_yearly", 49000, "year"),
    ]
    assert len(stripe.Price.list(limit=100).data) == 4
    assert Product.objects.count() == 2
    assert set(Price.objects.filter(active=True).values_list("lookup_key", flat=True)) == set(
        LOOKUP_KEYS
    )


def test_a_price_with_the_wrong_amount_is_replaced_and_takes_over_the_lookup_key(sim):
    product = stripe.Product.create(name="LogiNexus Pro", metadata={"loginexus_plan": "pro"})
    wrong = stripe.Price.create(
        product=product.id, currency="usd", unit_amount=3900, recurring={"interval": "month"},
        lookup_key="pro_monthly",
    )  # fmt: skip
    plans_sync()
    current = stripe.Price.list(lookup_keys=["pro_monthly"]).data
    assert [(p.unit_amount, p.id != wrong.id) for p in current] == [(4900, True)]
    assert price_get(plan=PRO, interval=Interval.MONTH).id == current[0].id


def test_after_stripe_forgets_everything_local_copies_do_not_win(sim):
    plans_sync()
    stale = price_get(plan=ENTERPRISE, interval=Interval.YEAR).id
    sim.reset()
    plans_sync()
    fresh = price_get(plan=ENTERPRISE, interval=Interval.YEAR)
    assert fresh.id != stale
    assert fresh.id == stripe.Price.list(lookup_keys=["enterprise_yearly"]).data[0].id
    assert not Price.objects.get(id=stale).active


def test_webhook_endpoint_is_made_once_with_its_secret(sim):
    first = webhook_endpoint_ensure(base_url="http://localhost:8000")
    second = webhook_endpoint_ensure(base_url="http://localhost:8000/")
    assert first.pk == second.pk
    assert first.secret.startswith("whsec_")
    assert first.url == f"http://localhost:8000/stripe/webhook/{first.djstripe_uuid}/"
    assert len(stripe.WebhookEndpoint.list().data) == 1
    assert "invoice.payment_failed" in first.enabled_events


def test_endpoints_at_our_address_whose_secret_we_lost_are_removed(sim):
    ours = webhook_endpoint_ensure(base_url="http://localhost:8000")
    lost = stripe.WebhookEndpoint.create(
        url="http://localhost:8000/stripe/webhook/an-old-database/", enabled_events=["*"]
    )
    elsewhere = stripe.WebhookEndpoint.create(
        url="https://example.com/hooks/", enabled_events=["*"]
    )
    assert webhook_endpoint_ensure(base_url="http://localhost:8000").pk == ours.pk
    remaining = {endpoint.id for endpoint in stripe.WebhookEndpoint.list().data}
    assert remaining == {ours.id, elsewhere.id}
    assert lost.id not in remaining


def test_the_command_prints_the_prices_and_the_webhook_url(sim, capsys):
    call_command("billing_sync_plans", "--webhook-base-url", "http://localhost:8000")
    out = capsys.readouterr().out
    for key in LOOKUP_KEYS:
        assert key in out
    assert WebhookEndpoint.objects.get().url in out

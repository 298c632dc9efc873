"""The platform metrics page: revenue, tenants per plan, new and churned tenants per month."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from djstripe.models import Customer, Subscription

from billing.staff.charts import Series, bar_chart, column_chart
from billing.staff.metrics import platform_metrics
from loginexus.tenancy.models import Tenant
from tests.conftest import PASSWORD, on_plan, staff_member

pytestmark = pytest.mark.django_db

METRICS = "/admin/metrics/"
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


@pytest.fixture
def no_other_tenants(db) -> None:
    """The platform holds only the tenants a test makes: tenants of the session are removed
    inside the test's transaction (and come back when it rolls back)."""
    Tenant.objects.exclude(schema_name="public").delete()


def tenant(slug: str, *, created_at: datetime | None = None) -> Tenant:
    """A customer tenant row without a schema (metrics read only the public schema)."""
    made = Tenant.objects.create(schema_name=f"t_{slug.replace('-', '_')}", name=slug, slug=slug)
    if created_at:
        Tenant.objects.filter(pk=made.pk).update(created_at=created_at)  # auto_now_add
    return made


def subscription(
    of: Tenant, *, status: str, ended_at: datetime | None = None, currency: str = "usd"
) -> Subscription:
    """A subscription of the tenant as dj-stripe stores it, with the tenant's one customer."""
    customer, _ = Customer.objects.get_or_create(
        subscriber=of, livemode=False, defaults={"id": f"cus_{of.slug}"}
    )
    number = Subscription.objects.filter(customer=customer).count() + 1
    stripe_id = f"sub_{of.slug}_{number}"
    return Subscription.objects.create(
        id=stripe_id,
        customer=customer,
        livemode=False,
        stripe_data={
            "id": stripe_id,
            "object": "subscription",
            "customer": customer.id,
            "status": status,
            "currency": currency,
            "ended_at": int(ended_at.timestamp()) if ended_at else None,
        },
    )


def at(year: int, month: int, day: int = 15, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def platform(no_other_tenants) -> dict[str, Tenant]:
    """Nine tenants: paying monthly, yearly and past due, trialing, canceled, complimentary,
    paying with a better plan given free, without any subscription, and a comp that ran out."""
    tenants = {
        "pro-monthly": tenant("pro-monthly", created_at=at(2025, 3, 20)),
        "enterprise-yearly": tenant("enterprise-yearly", created_at=at(2025, 4, 1, 0)),
        "pro-yearly-past-due": tenant("pro-yearly-past-due", created_at=at(2025, 6, 15)),
        "pro-trial": tenant("pro-trial", created_at=at(2026, 3, 1, 0)),
        "canceled": tenant("canceled", created_at=at(2025, 12, 31, 23, 59)),
        "pro-comp": tenant("pro-comp", created_at=at(2026, 2, 10)),
        "pro-paying-enterprise-comp": tenant("pro-paying-ent-comp", created_at=at(2024, 11, 1)),
        "never-subscribed": tenant("never-subscribed", created_at=at(2026, 3, 9)),
        "comp-ran-out": tenant("comp-ran-out", created_at=at(2025, 10, 5)),
    }
    on_plan(tenants["pro-monthly"], "pro", interval="month")
    on_plan(tenants["enterprise-yearly"], "enterprise", interval="year")
    on_plan(
        tenants["pro-yearly-past-due"],
        "pro",
        status="past_due",
        interval="year",
        grace_until=NOW + timedelta(days=3),
    )
    on_plan(tenants["pro-trial"], "pro", status="trialing", interval="month")
    on_plan(tenants["canceled"], "enterprise", status="canceled", interval="month")
    on_plan(
        tenants["pro-comp"], "free", status="none", comp_plan="pro", comp_until=NOW + timedelta(30)
    )
    on_plan(
        tenants["pro-paying-enterprise-comp"],
        "pro",
        interval="month",
        comp_plan="enterprise",
        comp_until=NOW + timedelta(days=30),
    )
    on_plan(
        tenants["comp-ran-out"],
        "free",
        status="none",
        comp_plan="enterprise",
        comp_until=NOW - timedelta(days=1),
    )

    # Churned in February 2026.
    subscription(tenants["canceled"], status="canceled", ended_at=at(2026, 2, 3))
    # Two subscriptions ended in January 2026: one tenant churned once.
    subscription(tenants["comp-ran-out"], status="canceled", ended_at=at(2026, 1, 4))
    subscription(tenants["comp-ran-out"], status="canceled", ended_at=at(2026, 1, 28))
    # Ended in November 2025, but the tenant pays for another one now: not churned.
    subscription(tenants["pro-monthly"], status="canceled", ended_at=at(2025, 11, 2))
    subscription(tenants["pro-monthly"], status="active")
    # Ended before the last twelve months.
    subscription(tenants["never-subscribed"], status="canceled", ended_at=at(2025, 3, 31, 23))
    return tenants


def test_mrr_counts_active_and_past_due_subscriptions_with_yearly_prices_as_a_twelfth(platform):
    metrics = platform_metrics(now=NOW)

    # Pro monthly 49 twice (one also on a comp plan), Enterprise yearly 1990 / 12 = 165.83,
    # Pro yearly past due 490 / 12 = 40.83; trialing, canceled and comp-only bring nothing.
    assert metrics.revenue.mrr == Decimal("304.66")
    assert metrics.revenue.arr == Decimal("3655.92")
    assert metrics.revenue.past_due == 1


def paying_in(currency: str, slug: str, plan: str, interval: str) -> Tenant:
    """A tenant paying for `plan` through a Stripe subscription billed in `currency`."""
    payer = tenant(slug)
    held = subscription(payer, status="active", currency=currency)
    on_plan(payer, plan, interval=interval, stripe_subscription_id=held.id)
    return payer


@pytest.fixture
def three_currencies(no_other_tenants) -> None:
    paying_in("usd", "in-dollars", "pro", "month")  # $49
    paying_in("eur", "in-euros", "pro", "month")  # €45 * 1.08 = $48.60
    paying_in("gbp", "in-pounds", "enterprise", "year")  # £1,590 / 12 = £132.50 * 1.27 = $168.28


def test_mrr_converts_euro_and_pound_subscriptions_to_usd_at_the_fixed_rates(three_currencies):
    revenue = platform_metrics(now=NOW).revenue

    assert revenue.mrr == Decimal("265.88")
    assert revenue.arr == Decimal("3190.56")


def test_the_conversion_rates_come_from_the_settings(three_currencies, settings):
    settings.BILLING_FX_TO_USD = {"eur": "1.10", "gbp": "1.30"}

    # $49 + €45 * 1.10 ($49.50) + £132.50 * 1.30 ($172.25)
    assert platform_metrics(now=NOW).revenue.mrr == Decimal("270.75")


def test_the_metrics_page_says_at_which_rates_it_converted(public_client, three_currencies):
    public_client.force_login(staff_member())

    body = public_client.get(METRICS).content.decode()
    assert '<th scope="row">MRR</th><td>$265.88</td>' in body
    assert "Converted to USD at fixed rates: 1 EUR = 1.08 USD, 1 GBP = 1.27 USD" in body


def test_tenants_are_counted_by_the_plan_in_force_with_comp_plans_apart(platform):
    metrics = platform_metrics(now=NOW)

    assert {bucket.label: bucket.tenants for bucket in metrics.tenants_per_plan} == {
        "Free": 3,  # canceled, never subscribed, comp ran out
        "Pro": 3,  # monthly, yearly past due in grace, trialing
        "Pro (comp)": 1,
        "Enterprise": 1,
        "Enterprise (comp)": 1,  # pays for Pro, given Enterprise
    }
    assert metrics.tenants == 9


def test_new_and_churned_tenants_per_month_cover_the_last_twelve_utc_months(platform):
    metrics = platform_metrics(now=NOW)

    assert [(m.label, m.new, m.churned) for m in metrics.months] == [
        ("Apr 2025", 1, 0),
        ("May 2025", 0, 0),
        ("Jun 2025", 1, 0),
        ("Jul 2025", 0, 0),
        ("Aug 2025", 0, 0),
        ("Sep 2025", 0, 0),
        ("Oct 2025", 1, 0),
        ("Nov 2025", 0, 0),
        ("Dec 2025", 1, 0),
        ("Jan 2026", 0, 1),
        ("Feb 2026", 1, 1),
        ("Mar 2026", 2, 0),
    ]


def test_a_platform_without_customers_shows_zeros(no_other_tenants):
    metrics = platform_metrics(now=NOW)

    assert metrics.revenue.mrr == Decimal("0.00") and metrics.revenue.arr == Decimal("0.00")
    assert metrics.tenants == 0
    assert all(bucket.tenants == 0 for bucket in metrics.tenants_per_plan)
    assert all(m.new == m.churned == 0 for m in metrics.months)


def test_staff_see_the_metrics_page_with_figures_and_charts(public_client, no_other_tenants):
    paying = tenant("paying")
    on_plan(paying, "enterprise", interval="year")
    on_plan(
        tenant("comped"),
        "free",
        status="none",
        comp_plan="pro",
        comp_until=timezone.now() + timedelta(days=9),
    )
    subscription(tenant("gone"), status="canceled", ended_at=timezone.now())
    public_client.force_login(staff_member())  # no permission beyond being staff

    response = public_client.get(METRICS)

    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Platform metrics</h1>" in body
    assert '<a href="/admin/">Home</a> &rsaquo; Platform metrics' in body
    assert '<th scope="row">MRR</th><td>$165.83</td>' in body
    assert '<th scope="row">ARR</th><td>$1,989.96</td>' in body
    assert "<tr><td>Pro (comp)</td><td>1</td></tr>" in body
    month = timezone.now().strftime("%b %Y")
    assert f"<tr><td>{month}</td><td>3</td><td>1</td></tr>" in body
    assert (
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Tenants per plan"' in body
    )
    assert 'aria-label="New and churned tenants per month"' in body


def test_the_admin_index_links_to_the_metrics(superuser_client):
    body = superuser_client.get("/admin/").content.decode()
    assert f'<a href="{METRICS}">Platform metrics</a>' in body


def test_chart_labels_are_escaped():
    bars = bar_chart(title="<b>", bars=[("<script>alert(1)</script>", 2)])
    columns = column_chart(
        title="t", categories=["a&b"], series=[Series("<i>", [1]), Series('"x"', [2])]
    )

    assert "<script>" not in bars and "&lt;script&gt;alert(1)&lt;/script&gt;" in bars
    assert "<b>" not in bars and 'aria-label="&lt;b&gt;"' in bars
    assert "a&amp;b" in columns and "<i>" not in columns and "&lt;i&gt;" in columns
    assert "&quot;x&quot;" in columns


def test_a_logged_in_user_who_is_not_staff_is_sent_to_the_admin_login(public_client):
    user = get_user_model().objects.create_user("someone@example.com", PASSWORD)
    public_client.force_login(user)

    response = public_client.get(METRICS)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={METRICS}"


def test_an_anonymous_visitor_is_sent_to_the_admin_login(public_client):
    response = public_client.get(METRICS)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={METRICS}"


def many_tenants(count: int, *, prefix: str) -> None:
    """Tenants on every kind of plan, a third of them with an ended subscription."""
    now = timezone.now()
    kinds = [
        {"plan": "pro", "interval": "month"},
        {"plan": "enterprise", "interval": "year", "status": "past_due", "grace_until": now},
        {"plan": "free", "status": "none", "comp_plan": "pro", "comp_until": now + timedelta(1)},
    ]
    for number in range(count):
        made = tenant(f"{prefix}-{number}")
        fields = dict(kinds[number % len(kinds)])
        on_plan(made, fields.pop("plan"), **fields)
        if number % 3 == 0:
            subscription(made, status="canceled", ended_at=now - timedelta(days=number))


def test_the_page_makes_as_many_queries_for_60_tenants_as_for_10(public_client, no_other_tenants):
    public_client.force_login(staff_member())
    many_tenants(10, prefix="few")
    public_client.get(METRICS)  # caches that fill once (content types, the session)
    with CaptureQueriesContext(connection) as few:
        assert public_client.get(METRICS).status_code == 200
    many_tenants(50, prefix="many")
    with CaptureQueriesContext(connection) as many:
        body = public_client.get(METRICS).content.decode()

    assert '<th scope="row">Tenants</th><td>60</td>' in body
    assert len(many) == len(few)


def test_the_rates_note_is_in_german_with_german_decimals(public_client, three_currencies):
    public_client.force_login(staff_member())

    body = public_client.get(METRICS, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Zu festen Kursen in USD umgerechnet: 1 EUR = 1,08 USD, 1 GBP = 1,27 USD" in body

"""Usage-based overage (PRODUCT.md, "Usage-based overage"): the choice, its enforcement in the
limit check, the outbox of extra shipments, and what the billing page and API show of it."""

import io
import json
from datetime import timedelta

import pytest
import stripe
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from djstripe.models import Customer, Subscription

from billing.exceptions import PlanLimitExceeded
from billing.models import UsageCounter
from billing.overage.catalog import overage_prices_sync
from billing.overage.models import OverageEvent
from billing.overage.services import overage_events_send
from billing.plan_changes.services import plan_change
from billing.plans import PRO, Interval
from billing.services import entitlement_refresh
from billing.stripe.catalog import plans_sync
from loginexus.tenancy.models import Tenant
from shipments.models import Shipment
from tests.billing.helpers import clear_faults, fault
from tests.conftest import logged_in, make_shipment, on_plan, staff_member, tenant_user

pytestmark = pytest.mark.django_db

PRO_LIMIT = 2000


def on_pro(tenant, **fields):
    now = timezone.now()
    return on_plan(
        tenant,
        "pro",
        interval="month",
        period_start=now - timedelta(days=3),
        period_end=now + timedelta(days=27),
        stripe_customer_id="cus_overage",
        stripe_subscription_id="sub_overage",
        **fields,
    )


@pytest.fixture
def pro_in_stripe(sim, stripe_module, tenant_a):
    """Tenant A on a paid Pro subscription in the simulator, with the overage prices synced."""
    plans_sync()
    overage_prices_sync()
    customer = stripe.Customer.create(
        email=tenant_a.email, metadata={"djstripe_subscriber": str(tenant_a.pk)}
    )
    Customer.sync_from_stripe_data(customer)
    price = stripe.Price.list(lookup_keys=["pro_monthly"]).data[0]
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], default_payment_method="pm_card_visa"
    )
    Subscription.sync_from_stripe_data(subscription)
    return entitlement_refresh(tenant=tenant_a)


def fill(tenant, count: int, prefix: str = "FILL") -> list[Shipment]:
    """`count` shipments in one limit-checked `bulk_create` (the counter counts them all)."""
    with schema_context(tenant.schema_name):
        return Shipment.objects.bulk_create(
            Shipment(
                reference=f"{prefix}-{number}",
                origin="A",
                destination="B",
                carrier="C",
                weight_kg=1,
            )
            for number in range(count)
        )


def on_pro_refreshed(entitlement):
    entitlement.refresh_from_db()
    return entitlement


def shipments_used(tenant) -> int:
    return UsageCounter.objects.get(tenant=tenant, resource="shipments").used


def patch(client, body):
    return client.patch("/api/v1/billing/", json.dumps(body), content_type="application/json")


# The choice


def test_a_free_workspace_is_refused_overage(admin_client_a):
    answer = patch(admin_client_a, {"overage": {"enabled": True, "cap": 10}})
    assert answer.status_code == 409
    assert answer.json()["code"] == "overage_not_available"


def test_an_enterprise_workspace_is_refused_overage(admin_client_a, tenant_a):
    on_plan(tenant_a, "enterprise", interval="month", stripe_subscription_id="sub_ent")
    answer = patch(admin_client_a, {"overage": {"enabled": True, "cap": 10}})
    assert answer.status_code == 409
    assert answer.json()["code"] == "overage_not_available"


@pytest.mark.parametrize("cap", [0, 100_001, -5, "many"])
def test_a_cap_outside_1_to_100000_is_a_field_error(admin_client_a, tenant_a, cap):
    on_pro(tenant_a)
    answer = patch(admin_client_a, {"overage": {"enabled": True, "cap": cap}})
    assert answer.status_code == 400
    assert list(answer.json()["overage"]) == ["cap"]


def test_turning_overage_on_needs_a_cap(admin_client_a, tenant_a):
    on_pro(tenant_a)
    answer = patch(admin_client_a, {"overage": {"enabled": True}})
    assert answer.status_code == 400
    assert list(answer.json()["overage"]) == ["cap"]


def test_a_member_cannot_change_overage(client_a, tenant_a):
    on_pro(tenant_a)
    member = logged_in(client_a, tenant_a, tenant_user(tenant_a, email="member@alpha.example"))
    answer = patch(member, {"overage": {"enabled": True, "cap": 10}})
    assert answer.status_code == 403
    assert on_pro(tenant_a).overage_enabled is False


def test_an_admin_turns_overage_on_and_billing_shows_it(admin_client_a, pro_in_stripe):
    answer = patch(admin_client_a, {"overage": {"enabled": True, "cap": 250}})
    assert answer.status_code == 200
    assert answer.json()["overage"] == {
        "enabled": True,
        "cap": 250,
        "used": 0,
        "unit_amount": 4,
        "currency": "usd",
        "estimated": {"amount": 0, "currency": "usd"},
    }
    assert admin_client_a.get("/api/v1/billing/").json()["overage"]["enabled"] is True


def test_turning_overage_on_adds_the_metered_price_to_the_subscription_once(
    admin_client_a, pro_in_stripe
):
    for cap in (10, 20):
        assert patch(admin_client_a, {"overage": {"enabled": True, "cap": cap}}).status_code == 200
    assert patch(admin_client_a, {"overage": {"enabled": False}}).status_code == 200
    assert patch(admin_client_a, {"overage": {"enabled": True}}).status_code == 200  # cap kept
    items = stripe.Subscription.retrieve(pro_in_stripe.stripe_subscription_id)["items"].data
    assert [item.price.lookup_key for item in items] == ["pro_monthly", "overage_monthly_usd"]
    assert "quantity" not in items[1].to_dict()
    assert on_pro_refreshed(pro_in_stripe).overage_cap == 20


def test_stripe_unreachable_leaves_overage_off(admin_client_a, pro_in_stripe, sim):
    fault(sim, "500")
    try:
        answer = patch(admin_client_a, {"overage": {"enabled": True, "cap": 10}})
    finally:
        clear_faults(sim)
    assert answer.status_code == 503
    assert on_pro_refreshed(pro_in_stripe).overage_enabled is False


# Enforcement


def test_pro_with_overage_creates_past_the_limit_up_to_the_cap_then_402(tenant_a):
    on_pro(tenant_a, overage_enabled=True, overage_cap=10)
    fill(tenant_a, PRO_LIMIT)
    extra = [make_shipment(tenant_a) for _ in range(10)]
    with pytest.raises(PlanLimitExceeded) as refused:
        make_shipment(tenant_a)
    assert refused.value.status == 402
    assert refused.value.extra["used"] == PRO_LIMIT + 10
    assert shipments_used(tenant_a) == PRO_LIMIT + 10
    reported = OverageEvent.objects.filter(tenant=tenant_a)
    assert sorted(reported.values_list("shipment_id", flat=True)) == [s.pk for s in extra]


def test_without_overage_the_shipment_past_the_limit_is_refused(tenant_a):
    on_pro(tenant_a, overage_enabled=False, overage_cap=10)
    fill(tenant_a, PRO_LIMIT)
    with pytest.raises(PlanLimitExceeded):
        make_shipment(tenant_a)
    assert shipments_used(tenant_a) == PRO_LIMIT
    assert not OverageEvent.objects.filter(tenant=tenant_a).exists()


def test_shipments_within_the_limit_report_nothing(tenant_a):
    on_pro(tenant_a, overage_enabled=True, overage_cap=10)
    fill(tenant_a, PRO_LIMIT - 1)
    make_shipment(tenant_a)
    assert shipments_used(tenant_a) == PRO_LIMIT
    assert not OverageEvent.objects.filter(tenant=tenant_a).exists()


def test_turning_overage_off_refuses_the_next_create_at_once(admin_client_a, tenant_a):
    on_pro(tenant_a, overage_enabled=True, overage_cap=10)
    fill(tenant_a, PRO_LIMIT)
    make_shipment(tenant_a)  # the process now holds the entitlement with overage on
    assert patch(admin_client_a, {"overage": {"enabled": False}}).status_code == 200
    with pytest.raises(PlanLimitExceeded):
        make_shipment(tenant_a)
    assert shipments_used(tenant_a) == PRO_LIMIT + 1


def test_a_rolled_back_overage_create_gives_its_count_back_and_reports_nothing(tenant_a):
    on_pro(tenant_a, overage_enabled=True, overage_cap=1)
    fill(tenant_a, PRO_LIMIT)
    with schema_context(tenant_a.schema_name), pytest.raises(RuntimeError), transaction.atomic():
        make_shipment(tenant_a)
        assert OverageEvent.objects.filter(tenant=tenant_a).count() == 1
        raise RuntimeError("the create's transaction fails after the insert")
    assert shipments_used(tenant_a) == PRO_LIMIT
    assert not OverageEvent.objects.filter(tenant=tenant_a).exists()
    kept = make_shipment(tenant_a)  # the cap's one extra shipment is still there to take
    assert list(OverageEvent.objects.values_list("shipment_id", flat=True)) == [kept.pk]


def test_a_bulk_create_past_the_limit_reports_each_extra_shipment(tenant_a):
    on_pro(tenant_a, overage_enabled=True, overage_cap=10)
    fill(tenant_a, PRO_LIMIT - 2)
    batch = fill(tenant_a, 6, prefix="BATCH")
    assert shipments_used(tenant_a) == PRO_LIMIT + 4
    reported = sorted(OverageEvent.objects.values_list("shipment_id", flat=True))
    assert reported == [shipment.pk for shipment in batch[2:]]


def test_a_bulk_create_past_the_cap_creates_nothing(tenant_a):
    on_pro(tenant_a, overage_enabled=True, overage_cap=10)
    fill(tenant_a, PRO_LIMIT)
    with pytest.raises(PlanLimitExceeded):
        fill(tenant_a, 11, prefix="BATCH")
    assert shipments_used(tenant_a) == PRO_LIMIT
    assert not OverageEvent.objects.exists()


# What the workspace sees


def test_billing_counts_extra_shipments_and_estimates_them_in_the_workspace_currency(
    admin_client_a, tenant_a
):
    # On a copy: the session's tenant_a object outlives this test's rolled-back transaction.
    Tenant.objects.filter(pk=tenant_a.pk).update(billing_address_country="DE")
    on_pro(tenant_a, overage_enabled=True, overage_cap=10)
    fill(tenant_a, PRO_LIMIT)
    for _ in range(3):
        make_shipment(tenant_a)
    overage = admin_client_a.get("/api/v1/billing/").json()["overage"]
    assert overage == {
        "enabled": True,
        "cap": 10,
        "used": 3,
        "unit_amount": 4,
        "currency": "eur",
        "estimated": {"amount": 12, "currency": "eur"},
    }
    page = admin_client_a.get("/billing/").content.decode()
    assert "3 extra shipments so far, about €0.12 on your next invoice." in page


def test_the_billing_page_turns_overage_on(admin_client_a, pro_in_stripe):
    answer = admin_client_a.post("/billing/overage/", {"enabled": "on", "cap": "40"})
    assert answer.status_code == 302
    entitlement = on_pro_refreshed(pro_in_stripe)
    assert (entitlement.overage_enabled, entitlement.overage_cap) == (True, 40)
    page = admin_client_a.get("/billing/").content.decode()
    assert "0 extra shipments so far" in page


def test_the_billing_page_refuses_a_cap_past_100000(admin_client_a, tenant_a):
    on_pro(tenant_a)
    admin_client_a.post("/billing/overage/", {"enabled": "on", "cap": "100001"})
    assert on_pro(tenant_a).overage_enabled is False


# Stripe's side


def test_sync_makes_the_meter_and_a_metered_price_per_interval_and_currency_once(
    sim, stripe_module
):
    call_command("billing_sync_plans", stdout=io.StringIO())
    call_command("billing_sync_plans", stdout=io.StringIO())
    [meter] = stripe.billing.Meter.list().data
    assert (meter.event_name, meter.default_aggregation.formula) == ("shipments_overage", "sum")
    metered = [
        price
        for price in stripe.Price.list(limit=100).data
        if price.recurring and price.recurring.usage_type == "metered"
    ]
    assert sorted(
        (price.lookup_key, price.currency, price.unit_amount, price.recurring.interval)
        for price in metered
    ) == [
        ("overage_monthly_eur", "eur", 4, "month"),
        ("overage_monthly_gbp", "gbp", 3, "month"),
        ("overage_monthly_usd", "usd", 4, "month"),
        ("overage_yearly_eur", "eur", 4, "year"),
        ("overage_yearly_gbp", "gbp", 3, "year"),
        ("overage_yearly_usd", "usd", 4, "year"),
    ]
    assert {price.recurring.meter for price in metered} == {meter.id}


# Staff


def test_staff_see_overage_quantity_and_revenue_per_period(public_client, tenant_a):
    on_pro(tenant_a, overage_enabled=True, overage_cap=10)
    fill(tenant_a, PRO_LIMIT)
    for _ in range(3):
        make_shipment(tenant_a)
    public_client.force_login(staff_member(permissions=("tenancy.view_tenant",)))
    tenant_page = public_client.get(f"/admin/tenancy/tenant/{tenant_a.pk}/change/")
    overage = tenant_page.content.decode().split('id="tenant-overage"')[1].split("</table>")[0]
    assert "<td>3</td><td>$0.12</td>" in overage
    metrics = public_client.get("/admin/metrics/").content.decode()
    monthly = metrics.split('id="metrics-overage"')[1].split("</table>")[0]
    assert "<td>3</td><td>$0.12</td>" in monthly


def test_moving_to_yearly_moves_the_metered_item_along_and_bills_the_usage_so_far(
    admin_client_a, tenant_a, pro_in_stripe
):
    assert patch(admin_client_a, {"overage": {"enabled": True, "cap": 10}}).status_code == 200
    fill(tenant_a, PRO_LIMIT)
    make_shipment(tenant_a)
    make_shipment(tenant_a)
    assert overage_events_send(batch_size=10) == 2
    plan_change(tenant=tenant_a, plan=PRO, interval=Interval.YEAR)
    subscription = stripe.Subscription.retrieve(pro_in_stripe.stripe_subscription_id)
    assert [item.price.lookup_key for item in subscription["items"].data] == [
        "pro_yearly",
        "overage_yearly_usd",
    ]
    invoice = stripe.Invoice.retrieve(subscription.latest_invoice)
    usage = [line for line in invoice.lines.data if line.description.startswith("2 ")]
    assert [(line.quantity, line.amount) for line in usage] == [(2, 8)]

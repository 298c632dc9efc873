"""Platform staff's tenant screens: the list with plans and usage, a tenant's page, and the staff
actions (re-sync, grace, complimentary plan, suspension), each confirmed, permitted and logged."""

from datetime import timedelta

import pytest
import stripe
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from djstripe.models import Customer

from billing.models import Entitlement
from billing.plans import PRO
from billing.stripe.catalog import plans_sync
from loginexus.tenancy.models import Tenant
from tests.conftest import (
    admin_of,
    host_client,
    logged_in,
    make_escrow,
    make_shipment,
    on_plan,
    staff_member,
)

pytestmark = pytest.mark.django_db

TENANTS = "/admin/tenancy/tenant/"


def action_url(tenant: Tenant, action: str) -> str:
    return f"{TENANTS}{tenant.pk}/staff-action/{action}/"


def staff_client(public_client, *permissions: str):
    public_client.force_login(staff_member(permissions=("tenancy.view_tenant", *permissions)))
    return public_client


def row_of(body: str, slug: str) -> str:
    """The text of the list's row for the tenant `slug`."""
    start = body.index(f">{slug}</a>")
    return body[start : body.index("</tr>", start)]


def bare_tenants(count: int, *, prefix: str) -> list[Tenant]:
    """Tenants whose schema holds just a users table (all the staff list reads there), half of
    them paying; much quicker to make than full tenants."""
    tenants = []
    for number in range(count):
        tenant = Tenant.objects.create(
            schema_name=f"t_{prefix}{number}", name=f"{prefix} {number}", slug=f"{prefix}-{number}"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE SCHEMA {tenant.schema_name}; CREATE TABLE {tenant.schema_name}"
                ".accounts_user (LIKE public.accounts_user INCLUDING DEFAULTS)"
            )
        if number % 2:
            on_plan(tenant, "pro", interval="month")
        tenants.append(tenant)
    return tenants


def test_the_list_shows_plan_status_usage_and_revenue(superuser_client, tenant_a, tenant_b):
    now = timezone.now()
    on_plan(
        tenant_a, "pro", interval="year",
        period_start=now - timedelta(days=2), period_end=now + timedelta(days=363),
    )  # fmt: skip
    for _ in range(3):
        make_shipment(tenant_a)
    on_plan(tenant_b, "free", status="none", comp_plan="enterprise", comp_until=now + timedelta(7))

    body = superuser_client.get(TENANTS).content.decode()

    alpha = row_of(body, "alpha")
    for text in ("Pro", "Active", "3 / 2,000", "0 / 200", "1 / 25", "$40.83"):
        assert text in alpha
    bravo = row_of(body, "bravo")
    assert "Enterprise (comp)" in bravo and "0 / ∞" in bravo and "$0.00" in bravo


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("plan=pro", "alpha", "bravo"),
        ("plan=free", "bravo", "alpha"),
        ("status=past_due", "alpha", "bravo"),
        ("past_due=in_grace", "alpha", "bravo"),
        ("near_limit=yes", "bravo", "alpha"),
        ("q=cus_alpha_1", "alpha", "bravo"),
        ("q=admin@bravo.example", "bravo", "alpha"),
    ],
)
def test_filters_and_search(superuser_client, tenant_a, tenant_b, query, shown, hidden):
    now = timezone.now()
    on_plan(
        tenant_a, "pro", status="past_due", grace_until=now + timedelta(days=3),
        stripe_customer_id="cus_alpha_1",
    )  # fmt: skip
    for _ in range(4):  # 4 of Free's 5 escrows: 80 %
        make_escrow(tenant_b)
    body = superuser_client.get(f"{TENANTS}?{query}").content.decode()
    assert f">{shown}</a>" in body
    assert f">{hidden}</a>" not in body


def test_the_list_makes_as_many_queries_for_200_tenants_as_for_10(superuser_client):
    bare_tenants(10, prefix="few")
    superuser_client.get(TENANTS)  # caches that fill once (content types, the session)
    with CaptureQueriesContext(connection) as few:
        assert superuser_client.get(TENANTS).status_code == 200
    bare_tenants(190, prefix="many")
    with CaptureQueriesContext(connection) as many:
        body = superuser_client.get(TENANTS).content.decode()
    assert f"{Tenant.objects.exclude(schema_name='public').count()} tenants" in body
    assert len(many) == len(few)


def test_a_tenants_page_shows_its_billing_admins_usage_and_stripe_records(
    superuser_client, tenant_a, sim, stripe_module
):
    plans_sync()
    customer = stripe.Customer.create(
        email="admin@alpha.example", metadata={"djstripe_subscriber": str(tenant_a.pk)}
    )
    Customer.sync_from_stripe_data(customer)
    on_plan(tenant_a, "pro", interval="month", stripe_customer_id=customer.id)
    make_shipment(tenant_a)

    body = superuser_client.get(f"{TENANTS}{tenant_a.pk}/change/").content.decode()

    assert "alpha.localhost" in body  # its domain
    assert "admin@alpha.example" in body  # its admin
    assert "49.00" in body and "Active" in body
    assert "1 / 2,000" in body
    assert "<svg" in body and "Shipments, last periods" in body
    assert customer.id in body and "/admin/djstripe/customer/" in body


def test_resync_reads_what_stripe_has_after_missed_events(
    public_client, tenant_a, sim, stripe_module
):
    plans_sync()
    customer = stripe.Customer.create(
        email="admin@alpha.example", metadata={"djstripe_subscriber": str(tenant_a.pk)}
    )
    Customer.sync_from_stripe_data(customer)
    price = stripe.Price.list(lookup_keys=["pro_monthly"]).data[0]
    stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], default_payment_method="pm_card_visa"
    )  # no webhook endpoint: we were never told
    client = staff_client(public_client, "tenancy.resync_tenant")

    confirm = client.get(action_url(tenant_a, "resync"))
    assert confirm.status_code == 200 and "Yes, re-sync from Stripe" in confirm.content.decode()
    assert not Entitlement.objects.filter(tenant=tenant_a).exists()  # nothing ran yet

    response = client.post(action_url(tenant_a, "resync"))
    assert response.status_code == 302
    entitlement = Entitlement.objects.get(tenant=tenant_a)
    assert entitlement.effective_plan(timezone.now()) == PRO
    entry = LogEntry.objects.get(object_id=str(tenant_a.pk))
    assert entry.user.email == "staff@loginexus.example"
    assert "Re-sync from Stripe" in entry.get_change_message()


def test_extend_grace_keeps_a_past_due_tenant_on_its_plan(public_client, tenant_a):
    now = timezone.now()
    on_plan(tenant_a, "pro", status="past_due", grace_until=now + timedelta(days=1))
    client = staff_client(public_client, "tenancy.extend_grace_tenant")
    until = (now + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")

    too_early = client.post(
        action_url(tenant_a, "extend-grace"), {"until": now.strftime("%Y-%m-%d")}
    )
    assert "Choose a time after the current end of grace." in too_early.content.decode()

    assert client.post(action_url(tenant_a, "extend-grace"), {"until": until}).status_code == 302
    entitlement = Entitlement.objects.get(tenant=tenant_a)
    assert entitlement.grace_until.strftime("%Y-%m-%dT%H:%M") == until
    assert entitlement.grace_extended_until == entitlement.grace_until
    assert entitlement.effective_plan(now + timedelta(days=9)) == PRO
    assert "Extended the grace period" in LogEntry.objects.get().get_change_message()


def test_extend_grace_is_refused_for_a_tenant_that_is_not_past_due(public_client, tenant_a):
    client = staff_client(public_client, "tenancy.extend_grace_tenant")
    until = (timezone.now() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(action_url(tenant_a, "extend-grace"), {"until": until})
    assert response.status_code == 200
    assert "Only a tenant whose subscription is past due" in response.content.decode()
    assert not LogEntry.objects.exists()


def test_a_complimentary_plan_lifts_limits_and_shows_as_comp(
    public_client, admin_client_a, tenant_a
):
    client = staff_client(public_client, "tenancy.comp_tenant")
    until = timezone.now() + timedelta(days=30)
    response = client.post(
        action_url(tenant_a, "comp"), {"plan": "pro", "until": until.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 302
    entitlement = Entitlement.objects.get(tenant=tenant_a)
    assert (entitlement.comp_plan, entitlement.status) == ("pro", "none")
    assert entitlement.on_comp(timezone.now())
    assert "Set complimentary plan Pro" in LogEntry.objects.get().get_change_message()
    assert "comp" in admin_client_a.get("/billing/").content.decode().lower()

    assert client.post(action_url(tenant_a, "end-comp")).status_code == 302
    assert not Entitlement.objects.get(tenant=tenant_a).on_comp(timezone.now())


def test_suspend_shows_a_clear_page_on_the_tenants_hosts_and_keeps_its_data(
    public_client, admin_client_a, tenant_a
):
    make_shipment(tenant_a)
    client = staff_client(public_client, "tenancy.suspend_tenant")
    assert client.get(action_url(tenant_a, "suspend")).status_code == 200
    response = client.post(action_url(tenant_a, "suspend"), {"reason": "Chargeback review"})
    assert response.status_code == 302

    page = admin_client_a.get("/shipments/")
    assert page.status_code == 403
    assert "This workspace is suspended" in page.content.decode()
    api = admin_client_a.get("/api/v1/shipments/")
    assert (api.status_code, api.json()["code"]) == (403, "tenant_suspended")
    login = host_client("alpha.localhost").get("/accounts/login/")
    assert login.status_code == 403

    assert client.post(action_url(tenant_a, "unsuspend")).status_code == 302
    listing = admin_client_a.get("/api/v1/shipments/")
    assert listing.status_code == 200 and listing.json()["count"] == 1  # nothing was lost
    messages = [entry.get_change_message() for entry in LogEntry.objects.order_by("pk")]
    assert messages == ["Suspend: Suspended: Chargeback review", "Unsuspend: Unsuspended."]


def test_actions_need_staff_and_their_permission(public_client, tenant_a):
    anonymous = public_client.get(action_url(tenant_a, "resync"))
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]

    client = staff_client(public_client)  # staff who may view tenants, and nothing more
    page = client.get(f"{TENANTS}{tenant_a.pk}/change/").content.decode()
    assert "staff-action" not in page
    for action in ("resync", "extend-grace", "comp", "end-comp", "suspend", "unsuspend"):
        assert client.get(action_url(tenant_a, action)).status_code == 403
        assert client.post(action_url(tenant_a, action), {"reason": "x"}).status_code == 403
    assert not Tenant.objects.get(pk=tenant_a.pk).is_suspended
    assert not LogEntry.objects.exists()


def test_tenant_users_cannot_reach_the_staff_screens(client_a, tenant_a):
    tenant_admin = logged_in(client_a, tenant_a, admin_of(tenant_a))
    assert tenant_admin.get(TENANTS).status_code == 404  # no admin on tenant hosts
    on_public_host = tenant_admin.get(TENANTS, HTTP_HOST="localhost")  # same cookies
    assert on_public_host.status_code == 302
    assert "/admin/login/" in on_public_host["Location"]

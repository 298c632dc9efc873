"""Plan limits on every creation path: the 402 answer, the boundary, bulk, rollback, plan changes,
period roll, seats, warnings (PRODUCT.md, "Limits on create")."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.exceptions import PlanLimitExceeded
from billing.limits import plan_limit_reserve
from billing.models import Entitlement, UsageCounter, UsageWarning
from billing.plans import Resource
from billing.selectors import calendar_month
from escrows.models import Escrow
from escrows.services import escrow_create
from loginexus.accounts.services import user_update
from shipments.models import Shipment
from tests.conftest import PASSWORD, admin_of, make_escrow, make_shipment, on_plan, tenant_user

pytestmark = pytest.mark.django_db


def used(tenant, resource):
    start, _ = calendar_month(timezone.now())
    counter = UsageCounter.objects.filter(
        tenant=tenant, resource=resource, period_start=start
    ).first()
    return counter.used if counter else 0


def escrow_fields(shipment):
    return {"shipment": shipment, "buyer": "B", "seller": "S", "amount": "10.00", "currency": "EUR"}


def fill_escrows(tenant, count):
    shipment = make_shipment(tenant)
    for _ in range(count):
        make_escrow(tenant, shipment=shipment)
    return shipment


def test_free_tenant_gets_its_fifth_escrow_but_not_a_sixth(tenant_a):
    shipment = fill_escrows(tenant_a, 4)
    with schema_context(tenant_a.schema_name):
        escrow_create(**escrow_fields(shipment))  # the 5th: exactly the limit
        with pytest.raises(PlanLimitExceeded) as refused:
            escrow_create(**escrow_fields(shipment))
        assert Escrow.objects.count() == 5
    error = refused.value
    assert (error.status, error.code) == (402, "plan_limit_exceeded")
    _, month_end = calendar_month(timezone.now())
    assert error.as_dict() == {
        "detail": "Your Free plan allows 5 escrows per period; 5 are used.",
        "code": "plan_limit_exceeded",
        "resource": "escrows",
        "plan": "free",
        "limit": 5,
        "used": 5,
        "period_end": month_end.isoformat().replace("+00:00", "Z"),
        "upgrade_url": "http://alpha.localhost:8000/billing/pricing/",
    }
    assert used(tenant_a, "escrows") == 5


def test_api_answers_402_with_the_contract_body(admin_client_a, tenant_a):
    shipment = fill_escrows(tenant_a, 5)
    response = admin_client_a.post(
        "/api/v1/escrows/",
        json.dumps(
            {
                "shipment": shipment.pk,
                "buyer": "B",
                "seller": "S",
                "amount": "1.00",
                "currency": "USD",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 402
    body = response.json()
    assert {key: body[key] for key in ("code", "resource", "plan", "limit", "used")} == {
        "code": "plan_limit_exceeded", "resource": "escrows", "plan": "free", "limit": 5, "used": 5,
    }  # fmt: skip
    assert body["upgrade_url"].endswith("/billing/pricing/")


def test_web_form_answers_a_402_page_linking_to_pricing(admin_client_a, tenant_a):
    shipment = fill_escrows(tenant_a, 5)
    response = admin_client_a.post(
        "/escrows/new/",
        {"shipment": shipment.pk, "buyer": "B", "seller": "S", "amount": "1", "currency": "USD"},
    )
    assert response.status_code == 402
    body = response.content.decode()
    assert "Your Free plan allows 5 escrows per period; 5 are used." in body
    assert 'href="http://alpha.localhost:8000/billing/pricing/"' in body


@pytest.mark.parametrize("path", ["manager", "save", "bulk_create"])
def test_every_orm_path_is_refused_past_the_limit(tenant_a, path):
    shipment = fill_escrows(tenant_a, 5)
    with schema_context(tenant_a.schema_name), pytest.raises(PlanLimitExceeded):
        if path == "manager":
            Escrow.objects.create(**escrow_fields(shipment))
        elif path == "save":
            Escrow(**escrow_fields(shipment)).save()
        else:
            Escrow.objects.bulk_create([Escrow(**escrow_fields(shipment))])
    with schema_context(tenant_a.schema_name):
        assert Escrow.objects.count() == 5


def test_bulk_create_that_would_cross_the_limit_is_refused_whole(tenant_a):
    shipment = fill_escrows(tenant_a, 3)
    with schema_context(tenant_a.schema_name):
        with pytest.raises(PlanLimitExceeded):
            Escrow.objects.bulk_create([Escrow(**escrow_fields(shipment)) for _ in range(3)])
        assert Escrow.objects.count() == 3
        Escrow.objects.bulk_create([Escrow(**escrow_fields(shipment)) for _ in range(2)])
        assert Escrow.objects.count() == 5
    assert used(tenant_a, "escrows") == 5


def test_a_rolled_back_create_gives_its_count_back(tenant_a):
    with schema_context(tenant_a.schema_name):
        with pytest.raises(RuntimeError), transaction.atomic():
            Shipment.objects.create(
                reference="GONE", origin="A", destination="B", carrier="C", weight_kg=1
            )
            assert used(tenant_a, "shipments") == 1
            raise RuntimeError("the request failed after the insert")
        assert not Shipment.objects.filter(reference="GONE").exists()
    assert used(tenant_a, "shipments") == 0


def test_upgrade_lifts_the_limit_at_once_and_unlimited_plans_still_count(tenant_a):
    shipment = fill_escrows(tenant_a, 5)
    on_plan(tenant_a, "enterprise")
    with schema_context(tenant_a.schema_name):
        for _ in range(3):
            escrow_create(**escrow_fields(shipment))
    assert used(tenant_a, "escrows") == 8


def test_a_plan_change_made_elsewhere_applies_to_the_next_create(tenant_a):
    """This process keeps a copy of the entitlement; a change it never saw (a queryset update, as
    another process's would be) must still apply to the very next create, both ways."""
    on_plan(tenant_a, "enterprise")
    shipment = fill_escrows(tenant_a, 7)  # the copy now says Enterprise
    Entitlement.objects.filter(tenant=tenant_a).update(subscribed_plan="free")
    with schema_context(tenant_a.schema_name), pytest.raises(PlanLimitExceeded) as refused:
        escrow_create(**escrow_fields(shipment))
    assert (refused.value.extra["plan"], refused.value.extra["used"]) == ("free", 7)
    Entitlement.objects.filter(tenant=tenant_a).update(subscribed_plan="pro")
    with schema_context(tenant_a.schema_name):
        escrow_create(**escrow_fields(shipment))
    assert used(tenant_a, "escrows") == 8


def test_each_tenant_counts_and_stores_its_own_creates_on_one_connection(tenant_a, tenant_b):
    for tenant in (tenant_a, tenant_b, tenant_a, tenant_a, tenant_b):
        make_shipment(tenant)
    for tenant, created in ((tenant_a, 3), (tenant_b, 2)):
        with schema_context(tenant.schema_name):
            assert Shipment.objects.count() == created
        assert used(tenant, "shipments") == created


def test_downgrade_over_the_seat_limit_keeps_users_and_refuses_new_ones_until_it_fits(tenant_a):
    on_plan(tenant_a, "pro")
    extra = [tenant_user(tenant_a, email=f"crew{n}@alpha.example") for n in range(4)]  # 5 seats
    on_plan(tenant_a, "free", status="canceled")
    with schema_context(tenant_a.schema_name), pytest.raises(PlanLimitExceeded) as refused:
        tenant_user(tenant_a, email="one-more@alpha.example")
    assert refused.value.extra["resource"] == "users"
    assert refused.value.message == "Your Free plan allows 3 users; 5 are used."
    admin = admin_of(tenant_a)
    with schema_context(tenant_a.schema_name):
        for user in extra[:3]:
            user_update(user=user, actor=admin, is_active=False)  # deactivating frees seats
    tenant_user(tenant_a, email="fits-now@alpha.example")
    with schema_context(tenant_a.schema_name), pytest.raises(PlanLimitExceeded):
        user_update(user=extra[0], actor=admin, is_active=True)  # a returning user needs a seat


def test_the_period_roll_starts_counters_at_zero_and_keeps_history(tenant_a):
    october = datetime(2026, 10, 15, tzinfo=UTC)
    plan_limit_reserve(tenant=tenant_a, resource=Resource.SHIPMENTS, count=50, now=october)
    with pytest.raises(PlanLimitExceeded):
        plan_limit_reserve(tenant=tenant_a, resource=Resource.SHIPMENTS, now=october)
    november = datetime(2026, 11, 1, tzinfo=UTC)
    assert plan_limit_reserve(tenant=tenant_a, resource=Resource.SHIPMENTS, now=november) == 1
    history = dict(UsageCounter.objects.filter(tenant=tenant_a).values_list("period_start", "used"))
    assert history == {datetime(2026, 10, 1, tzinfo=UTC): 50, november: 1}


def test_warnings_at_80_and_100_percent_are_sent_once(
    tenant_a, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from loginexus.celery import app

    app.conf.task_always_eager = True
    try:
        shipment = make_shipment(tenant_a)
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(5):
                make_escrow(tenant_a, shipment=shipment)
    finally:
        app.conf.task_always_eager = False
    subjects = [message.subject for message in mail.outbox]
    assert subjects == [
        "LogiNexus: Alpha Freight has used 80 % of its Free escrows",
        "LogiNexus: Alpha Freight has reached its Free limit of escrows",
    ]
    assert mail.outbox[0].to == ["admin@alpha.example"]
    assert UsageWarning.objects.filter(tenant=tenant_a, resource="escrows").count() == 2


def test_dashboard_and_billing_page_warn_at_80_percent(admin_client_a, tenant_a):
    fill_escrows(tenant_a, 4)
    for path in ("/", "/billing/"):
        assert (
            "You have used 4 of 5 escrows this period (80 %)."
            in admin_client_a.get(path).content.decode()
        )


def test_platform_staff_in_the_public_schema_take_no_seats(db):
    from django.contrib.auth import get_user_model

    for number in range(5):
        get_user_model().objects.create_superuser(f"staff{number}@loginexus.example", PASSWORD)
    assert get_user_model().objects.filter(is_staff=True).count() >= 5


def test_free_period_end_is_the_calendar_month(tenant_a):
    start, end = calendar_month(datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    assert (start, end) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert end - start == timedelta(days=31)


def test_a_batch_past_the_limit_this_process_last_read_is_counted_against_the_new_plan(tenant_a):
    make_shipment(tenant_a)  # the process now holds tenant A's Free entitlement
    on_plan(tenant_a, "pro")
    with schema_context(tenant_a.schema_name):
        created = Shipment.objects.bulk_create(
            Shipment(reference=f"BATCH-{n}", origin="A", destination="B", carrier="C", weight_kg=1)
            for n in range(60)
        )
    assert len(created) == 60
    assert used(tenant_a, "shipments") == 61

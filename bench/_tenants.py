"""A benchmark's tenant: provisioned as signup does (its admin verified, a@<slug>.example), and
on a paid plan with a monthly period in force when `plan` is given. Imported once Django is set
up."""

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from billing.models import Entitlement
from loginexus.tenancy.services import tenant_provision

PASSWORD = "a-long-enough-passphrase"


def bench_tenant(slug: str, plan: str | None = None):
    connection.set_schema_to_public()
    tenant = tenant_provision(
        company=slug, slug=slug, admin_email=f"a@{slug}.example", admin_password=PASSWORD,
        owner_verified=True,
    )  # fmt: skip
    if plan:
        now = timezone.now()
        Entitlement.objects.create(
            tenant=tenant, subscribed_plan=plan, status="active", interval="month",
            period_start=now - timedelta(days=3), period_end=now + timedelta(days=27),
            stripe_customer_id="cus_bench", stripe_subscription_id="sub_bench",
        )  # fmt: skip
    return tenant

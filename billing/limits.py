"""The one check of plan limits: `plan_limit_reserve` counts a creation against its limit.

It runs inside the transaction of the insert it guards, with one atomic statement for periodic
resources (a conditional upsert of the period's counter) and the tenant's row lock for seats,
so concurrent creators at the boundary cannot pass the limit, and a rolled-back insert gives its
count back. Unlimited plans still count. Every creation path calls it: the models' `save()` for a
new row and their managers' `bulk_create()`.
"""

from datetime import datetime
from functools import partial

from django.db import connection, models, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from billing.exceptions import PlanLimitExceeded
from billing.models import UsageCounter, UsageWarning
from billing.plans import Plan, Resource
from billing.selectors import current_tenant, entitlement_get, seats_used, usage_period
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.selectors import tenant_url

_UPSERT = """
    INSERT INTO {table} (tenant_id, resource, period_start, period_end, used)
    VALUES (%(tenant)s, %(resource)s, %(start)s, %(end)s, %(count)s)
    ON CONFLICT (tenant_id, resource, period_start)
    DO UPDATE SET used = {table}.used + EXCLUDED.used
    {condition}
    RETURNING used
"""


def _refusal(
    *, tenant: Tenant, plan: Plan, resource: Resource, used: int, period_end
) -> PlanLimitExceeded:
    limit = plan.limit(resource)
    noun = "users" if resource == Resource.USERS else f"{resource} per period"
    return PlanLimitExceeded(
        f"Your {plan.name} plan allows {limit} {noun}; {used} are used.",
        extra={
            "resource": str(resource),
            "plan": plan.code,
            "limit": limit,
            "used": used,
            "period_end": period_end.isoformat().replace("+00:00", "Z") if period_end else None,
            "upgrade_url": tenant_url(tenant=tenant) + "billing/pricing/",
        },
    )


def plan_limit_reserve(
    *, resource: Resource, count: int = 1, tenant: Tenant | None = None, now: datetime | None = None
) -> int:
    """Count `count` new objects of `resource` for the tenant (the connection's by default), or
    raise `PlanLimitExceeded` if that would pass its plan's limit. Returns the new usage.

    Call it inside the transaction of the insert it guards: the counter's update is one statement
    and needs no transaction of its own, so a refusal leaves the caller's transaction usable.
    """
    tenant = tenant or current_tenant()
    now = now or timezone.now()
    if resource == Resource.USERS:
        with transaction.atomic():
            return _reserve_seats(tenant=tenant, count=count, now=now)
    entitlement = entitlement_get(tenant=tenant)
    plan = entitlement.effective_plan(now)
    limit = plan.limit(resource)
    start, end = usage_period(entitlement=entitlement, now=now)
    if limit is not None and count > limit:
        used = _used(tenant, resource, start)
        raise _refusal(tenant=tenant, plan=plan, resource=resource, used=used, period_end=end)
    table = f"public.{UsageCounter._meta.db_table}"
    condition = f"WHERE {table}.used + EXCLUDED.used <= %(limit)s" if limit is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT.format(table=table, condition=condition),
            {"tenant": tenant.pk, "resource": str(resource), "start": start, "end": end,
             "count": count, "limit": limit},
        )  # fmt: skip
        row = cursor.fetchone()
    if row is None:
        used = _used(tenant, resource, start)
        raise _refusal(tenant=tenant, plan=plan, resource=resource, used=used, period_end=end)
    if limit:
        _warn_once(tenant=tenant, resource=resource, start=start, used=row[0], limit=limit)
    return row[0]


WARNING_THRESHOLDS = (80, 100)


def _warn_once(*, tenant: Tenant, resource: Resource, start, used: int, limit: int) -> None:
    """The first creation to reach 80 % or 100 % of a limit in a period warns the admins, once:
    the unique row decides who sends, and the email leaves after the commit."""
    from billing.tasks import usage_warning_email_task  # the task module imports this one

    for threshold in WARNING_THRESHOLDS:
        if used * 100 < threshold * limit:
            continue
        _, created = UsageWarning.objects.get_or_create(
            tenant=tenant, resource=resource, period_start=start, threshold=threshold
        )
        if created:
            transaction.on_commit(
                partial(usage_warning_email_task.delay, tenant.pk, str(resource), threshold)
            )


def _used(tenant: Tenant, resource: Resource, period_start) -> int:
    return (
        UsageCounter.objects.filter(tenant=tenant, resource=resource, period_start=period_start)
        .values_list("used", flat=True)
        .first()
        or 0
    )


def _reserve_seats(*, tenant: Tenant, count: int, now: datetime) -> int:
    """Seats are active users now: the tenant's row lock makes concurrent adds take turns."""
    Tenant.objects.select_for_update().only("pk").get(pk=tenant.pk)
    plan = entitlement_get(tenant=tenant).effective_plan(now)
    used = seats_used(tenant=tenant)
    limit = plan.limit(Resource.USERS)
    if limit is not None and used + count > limit:
        raise _refusal(
            tenant=tenant, plan=plan, resource=Resource.USERS, used=used, period_end=None
        )
    return used + count


class PlanLimitedManager(models.Manager):
    """`bulk_create` counts the whole batch first: past the limit, nothing is created."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic():
            if _counts_here():
                plan_limit_reserve(resource=self.model.limited_resource, count=len(objs))
            return super().bulk_create(objs, *args, **kwargs)


class PlanLimitedModel(models.Model):
    """A model whose new rows count against a plan limit, whichever path saves them."""

    limited_resource: Resource

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not (self._state.adding and self.counts_against_limit()):
            return super().save(*args, **kwargs)
        with transaction.atomic():
            plan_limit_reserve(resource=self.limited_resource)
            return super().save(*args, **kwargs)

    def counts_against_limit(self) -> bool:
        return _counts_here()


def _counts_here() -> bool:
    """Plans limit tenants; nothing in the public schema (platform staff) counts."""
    return connection.schema_name != get_public_schema_name()

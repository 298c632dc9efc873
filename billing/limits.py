"""The one check of plan limits: every new row of a limited model is counted against its limit.

For shipments and escrows (counted per period) one statement checks the entitlement, updates the
period's counter only while it stays within the limit (a conditional upsert), and inserts the new
row only if counted. Concurrent creators at the boundary cannot pass the limit, a rolled-back insert
gives its count back, and the check costs no round trip of its own. Seats (active users) are
counted under the tenant's row lock. Unlimited plans still count. Every creation path goes through
here: a new row's `save()` (the manager's `create()` included) and the managers' `bulk_create()`.

A Pro tenant with overage on may pass its shipment limit by its cap: the same statement counts up
to the limit plus the cap, and writes each extra shipment's outbox row (billing/overage) beside the
shipment, so a rolled-back create neither counts nor reports anything.
"""

import hashlib
import itertools
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, partial
from weakref import WeakKeyDictionary

from django.db import connection, models, transaction
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery
from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import get_public_schema_name

from billing.exceptions import BillingStateChanging, PlanLimitExceeded
from billing.models import Entitlement, UsageCounter, UsageWarning
from billing.overage.models import OverageEvent
from billing.overage.rules import overage_cap_in_force
from billing.plans import Plan, Resource
from billing.selectors import current_tenant, entitlement_get, seats_used, usage_period
from loginexus.i18n.formatting import number
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.selectors import tenant_url


class _Entitlements:
    """Each tenant's entitlement as this process last read it, so a limit check reads nothing
    before it counts. A copy is never trusted blindly: the counting statement counts only while
    the row is still the version copied (`_ENTITLED`), and a stale copy is read again."""

    SIZE = 4096

    def __init__(self) -> None:
        self._rows: OrderedDict[int, Entitlement] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tenant: Tenant) -> Entitlement:
        with self._lock:
            entitlement = self._rows.get(tenant.pk)
            if entitlement is not None:
                self._rows.move_to_end(tenant.pk)
                return entitlement
        return self.reload(tenant)

    def reload(self, tenant: Tenant) -> Entitlement:
        entitlement = (
            Entitlement.objects.filter(tenant=tenant)
            .annotate(row_version=RawSQL(ROW_VERSION, ()))  # noqa: S611 (a constant)
            .first()
        ) or Entitlement(tenant=tenant)
        with self._lock:
            self._rows[tenant.pk] = entitlement
            self._rows.move_to_end(tenant.pk)
            while len(self._rows) > self.SIZE:
                self._rows.popitem(last=False)
        return entitlement

    def forget(self, tenant_id: int) -> None:
        with self._lock:
            self._rows.pop(tenant_id, None)


entitlements = _Entitlements()

# The entitlement the check read is still the tenant's: the same version of its row (PostgreSQL's
# transaction id and place of the row change with every update), or still no row at all.
# The row is found by its place (a TID scan: no index to walk) and its version compared as the
# system columns' own types, not as text built for every check.
ROW_VERSION = "xmin::text || ':' || ctid::text"
_ENTITLED = (
    "SELECT 1 FROM {table} WHERE ctid = %s::tid AND xmin = %s::xid AND tenant_id = %s".format(  # noqa: S608
        table=f"public.{Entitlement._meta.db_table}"
    )
)
_NOT_ENTITLED = "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE tenant_id = %s)".format(  # noqa: S608
    table=f"public.{Entitlement._meta.db_table}"
)
_COUNTER = f"public.{UsageCounter._meta.db_table}"
# Count the new objects in the period's counter, unless that passes the limit, then insert the
# guarded row (if any) only when counted: one statement, one round trip, atomic on its own.
_COUNT = """
    WITH entitled AS ({entitled}),
    counted AS (
        INSERT INTO {counter} AS counter (tenant_id, resource, period_start, period_end, used)
        SELECT %s, %s, %s, %s, %s FROM entitled
        ON CONFLICT (tenant_id, resource, period_start)
        DO UPDATE SET used = counter.used + EXCLUDED.used {within_limit}
        RETURNING counter.used
    ){created}
    SELECT EXISTS (SELECT 1 FROM entitled), (SELECT used FROM counted){returned}
"""
_CREATED = ", created AS ({head} SELECT {values} FROM counted {returning})"
_CREATED_RETURNED = ", created.* FROM (SELECT 1) AS one LEFT JOIN created ON TRUE"
# With overage: the created row, when counted past the limit, is an extra one to report.
_REPORTED = """, reported AS (
        INSERT INTO {outbox} (tenant_id, shipment_id, period_start, created_at)
        SELECT %s, {object_id}, %s, %s FROM counted, created WHERE counted.used > %s
    )"""
_OUTBOX = f"public.{OverageEvent._meta.db_table}"
# The same for the common case, a little cheaper: the period's counter exists, the entitlement is
# as read, and the limit is not reached. No row back means one of them is not so (`_COUNT` tells).
_COUNT_COMMON = """
    WITH counted AS (
        UPDATE {counter} AS counter SET used = counter.used + %s
        WHERE counter.tenant_id = %s AND counter.resource = %s AND counter.period_start = %s
        {within_limit} AND EXISTS ({entitled})
        RETURNING counter.used
    ){created}
    SELECT counted.used, created.* FROM counted, created
"""


@dataclass(frozen=True)
class _Terms:
    """What a tenant's entitlement says about one resource at one moment."""

    entitlement: Entitlement
    plan: Plan
    limit: int | None
    start: datetime
    end: datetime
    overage_cap: int = 0  # extra objects allowed past the limit this period

    @classmethod
    def of(cls, entitlement: Entitlement, resource: Resource, now: datetime) -> "_Terms":
        plan = entitlement.effective_plan(now)
        start, end = usage_period(entitlement=entitlement, now=now)
        limit = plan.limit(resource)
        cap = overage_cap_in_force(entitlement=entitlement, resource=resource, now=now)
        return cls(entitlement, plan, limit, start, end, cap if limit is not None else 0)

    def ceiling(self, *, overage: bool) -> int | None:
        """The most the period may count: the limit, plus the cap where overage is recorded."""
        if self.limit is None or not overage:
            return self.limit
        return self.limit + self.overage_cap


def _count(
    *,
    tenant: Tenant,
    resource: Resource,
    count: int,
    now: datetime,
    insert: tuple[tuple[str, str, str], list] | None = None,
    overage: bool = False,
    reported_id: tuple[str, list] | None = None,
) -> tuple[_Terms, int, tuple]:
    """Count `count` objects of a periodic resource, and run `insert` (Django's INSERT statement
    in parts, and its parameters) in the same statement. Returns the terms, the new usage and the
    inserted row's returned values; raises PlanLimitExceeded (nothing counted or inserted) past
    the limit, having read the entitlement again if this process's copy was out of date.

    With `overage` the caller records extra objects, so the count may pass the limit by the
    tenant's overage cap; with `reported_id` too (the inserted row's id as SQL, and its
    parameters) the statement writes the extra row's outbox row itself."""
    created, created_params = "", []
    if insert is not None:
        (head, values, returning), created_params = insert
        created = _CREATED.format(head=head, values=values, returning=returning)
    reread = False
    for _ in range(3):
        terms = _Terms.of(entitlements.get(tenant), resource, now)
        ceiling = terms.ceiling(overage=overage)
        if ceiling is not None and count > ceiling:
            if not reread:  # refused by this process's copy alone: read it again first
                entitlements.forget(tenant.pk)
                reread = True
                continue
            raise _refusal(tenant=tenant, terms=terms, resource=resource)
        reported, reported_params = "", []
        if reported_id is not None and ceiling != terms.limit:
            object_id, object_params = reported_id
            reported = _REPORTED.format(outbox=_OUTBOX, object_id=object_id)
            reported_params = [tenant.pk, *object_params, terms.start, now, terms.limit]
        entitled, entitled_params = _entitled(tenant, terms.entitlement)
        key = [tenant.pk, str(resource), terms.start]
        with connection.cursor() as cursor:
            if insert is not None:
                within_limit, limit_params = "", []
                if ceiling is not None:
                    within_limit, limit_params = "AND counter.used + %s <= %s", [count, ceiling]
                statement = _COUNT_COMMON.format(
                    counter=_COUNTER, within_limit=within_limit, entitled=entitled,
                    created=created + reported,
                )  # fmt: skip
                params = [
                    count, *key, *limit_params, *entitled_params, *created_params, *reported_params
                ]  # fmt: skip
                if (found := _execute_prepared(cursor, statement, params)) is not None:
                    used, *row = found
                    return _counted(tenant, resource, terms, used, count, row)
            within_limit, limit_params = "", []
            if ceiling is not None:
                within_limit, limit_params = "WHERE counter.used + EXCLUDED.used <= %s", [ceiling]
            statement = _COUNT.format(
                entitled=entitled, counter=_COUNTER, within_limit=within_limit,
                created=created + reported,
                returned=_CREATED_RETURNED if insert is not None else "",
            )  # fmt: skip
            params = [
                *entitled_params, *key, terms.end, count, *limit_params, *created_params,
                *reported_params,
            ]  # fmt: skip
            still_entitled, used, *row = _execute_prepared(cursor, statement, params)
        if not still_entitled:
            entitlements.forget(tenant.pk)  # changed since this process read it
            continue
        if used is None:
            raise _refusal(tenant=tenant, terms=terms, resource=resource)
        return _counted(tenant, resource, terms, used, count, row)
    raise BillingStateChanging("The plan of this workspace is changing; try again in a moment.")


def _counted(
    tenant: Tenant, resource: Resource, terms: "_Terms", used: int, count: int, row: list
) -> tuple["_Terms", int, tuple]:
    # Past the limit (overage) the warnings were given by the create that reached it.
    if terms.limit and used - count < terms.limit:
        _warn_once(
            tenant=tenant, resource=resource, start=terms.start, used=used, limit=terms.limit
        )
    return terms, used, tuple(row)


_prepared: "WeakKeyDictionary[object, set[str]]" = WeakKeyDictionary()


def _execute_prepared(cursor, statement: str, params: list) -> tuple | None:
    """Run `statement` as a prepared statement of the connection's session, so PostgreSQL plans
    it once per connection (planning it would cost more than running it). PostgreSQL makes the
    plan again when the search path (the tenant) or a table changes."""
    name, numbered = _prepared_form(statement)
    prepared = _prepared.setdefault(cursor.connection, set())
    if name not in prepared:
        cursor.execute(f"PREPARE {name} AS {numbered}")
        prepared.add(name)
    cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
    return cursor.fetchone()


@lru_cache(maxsize=256)
def _prepared_form(statement: str) -> tuple[str, str]:
    """A statement's name in the session, and its text with numbered parameters ($1, $2, ...)."""
    numbered = itertools.count(1)
    return (
        "billing_count_" + hashlib.blake2b(statement.encode(), digest_size=8).hexdigest(),
        re.sub("%s", lambda _: f"${next(numbered)}", statement),
    )


def _entitled(tenant: Tenant, entitlement: Entitlement) -> tuple[str, list]:
    if entitlement.pk is None:
        return _NOT_ENTITLED, [tenant.pk]
    xmin, ctid = entitlement.row_version.split(":", 1)
    return _ENTITLED, [ctid, xmin, tenant.pk]


def _refusal(*, tenant: Tenant, terms: _Terms, resource: Resource) -> PlanLimitExceeded:
    if resource == Resource.USERS:
        used, period_end = seats_used(tenant=tenant), None
    else:
        used, period_end = _used(tenant, resource, terms.start), terms.end
    wording = {
        Resource.USERS: gettext("Your %(plan)s plan allows %(limit)s users; %(used)s are used."),
        Resource.SHIPMENTS: gettext(
            "Your %(plan)s plan allows %(limit)s shipments per period; %(used)s are used."
        ),
        Resource.ESCROWS: gettext(
            "Your %(plan)s plan allows %(limit)s escrows per period; %(used)s are used."
        ),
    }[resource]
    return PlanLimitExceeded(
        wording % {"plan": terms.plan.name, "limit": number(terms.limit), "used": number(used)},
        extra={
            "resource": str(resource),
            "plan": terms.plan.code,
            "limit": terms.limit,
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
    (A single `save()` needs no call: its insert rides in the counting statement.)
    """
    tenant = tenant or current_tenant()
    now = now or timezone.now()
    if resource == Resource.USERS:
        with transaction.atomic():
            return _reserve_seats(tenant=tenant, count=count, now=now)
    _, used, _ = _count(tenant=tenant, resource=resource, count=count, now=now)
    return used


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
    terms = _Terms.of(entitlement_get(tenant=tenant), Resource.USERS, now)
    used = seats_used(tenant=tenant)
    if terms.limit is not None and used + count > terms.limit:
        raise _refusal(tenant=tenant, terms=terms, resource=Resource.USERS)
    return used + count


class PlanLimitedManager(models.Manager):
    """`bulk_create` counts the whole batch first: past the limit, nothing is created."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic():
            if not _counts_here() or not objs:
                return super().bulk_create(objs, *args, **kwargs)
            resource = self.model.limited_resource
            if resource == Resource.USERS:
                plan_limit_reserve(resource=resource, count=len(objs))
                return super().bulk_create(objs, *args, **kwargs)
            tenant, now = current_tenant(), timezone.now()
            terms, used, _ = _count(
                tenant=tenant, resource=resource, count=len(objs), now=now, overage=True
            )
            created = super().bulk_create(objs, *args, **kwargs)
            extra = min(len(objs), used - terms.limit) if terms.limit is not None else 0
            if extra > 0:
                OverageEvent.objects.bulk_create(
                    OverageEvent(
                        tenant=tenant, shipment_id=obj.pk, period_start=terms.start, created_at=now
                    )
                    for obj in created[-extra:]
                )
            return created


class PlanLimitedModel(models.Model):
    """A model whose new rows count against a plan limit, whichever path saves them.

    The hook is the insert itself (`_do_insert`, which every `save()` of a new row reaches): for
    periodic resources the row's INSERT runs inside the counting statement, so enforcement costs
    no extra round trip; seats are counted under the tenant's lock first.
    """

    limited_resource: Resource

    class Meta:
        abstract = True

    def counts_against_limit(self) -> bool:
        return _counts_here()

    def save_base(self, *args, **kwargs):
        """Django marks the transaction for rollback on any error out of a save; a refusal comes
        from a statement that succeeded and wrote nothing, so a transaction it found usable is
        left usable (as `plan_limit_reserve` leaves it)."""
        connection = transaction.get_connection(kwargs.get("using"))  # save() always passes it
        usable = not connection.needs_rollback
        try:
            return super().save_base(*args, **kwargs)
        except PlanLimitExceeded:
            if usable and connection.in_atomic_block:
                connection.needs_rollback, connection.rollback_exc = False, None
            raise

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        if not self.counts_against_limit():
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        if self.limited_resource == Resource.USERS:
            with transaction.atomic(using=using):
                plan_limit_reserve(resource=Resource.USERS)
                return super()._do_insert(manager, using, fields, returning_fields, raw)
        query = InsertQuery(type(self))
        query.insert_values(fields, [self], raw=raw)
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = returning_fields
        [(sql, params)] = compiler.as_sql()
        pk = self._meta.pk
        if pk in returning_fields:
            reported_id = (f"created.{connection.ops.quote_name(pk.column)}", [])
        else:
            reported_id = ("%s", [self.pk])
        _, _, row = _count(
            tenant=current_tenant(),
            resource=self.limited_resource,
            count=1,
            now=timezone.now(),
            insert=(_insert_parts(sql), list(params)),
            overage=True,
            reported_id=reported_id,
        )
        if not returning_fields:
            return []
        columns = [field.get_col(self._meta.db_table) for field in returning_fields]
        rows = [row]
        if converters := compiler.get_converters(columns):
            rows = compiler.apply_converters(rows, converters)
        return list(rows)


def _insert_parts(sql: str) -> tuple[str, str, str]:
    """Django's `INSERT INTO t (...) VALUES (...) RETURNING ...` as its head, its values and its
    RETURNING clause, so the values can come from a SELECT instead."""
    head, found, rest = sql.partition(" VALUES (")
    values, returning = rest, ""
    if " RETURNING " in rest:
        values, _, returning = rest.rpartition(" RETURNING ")
        returning = f"RETURNING {returning}"
    if not (found and head.startswith("INSERT INTO ") and values.endswith(")")):
        raise ValueError(f"Unexpected INSERT statement: {sql}")
    return head, values[:-1], returning


def _counts_here() -> bool:
    """Plans limit tenants; nothing in the public schema (platform staff) counts."""
    return connection.schema_name != get_public_schema_name()

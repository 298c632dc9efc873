"""Scale: provisioning many tenants, API latency with one tenant versus many, parallel migrations.

In one run, on two fresh databases, one that gets BENCH_SCALE_TENANTS (default 1000) tenants and
one that gets a single tenant:
(a) the tenants provisioned one after another through `tenant_provision` (a clone of the
    template, as signup does), each on a database session of its own as a signup request has;
    then a few more on one shared session, which slows down;
(b) the REST API's shipment list and create on the first tenant of each database, two identical
    tenants (an unlimited plan, the same listed shipments), in rounds that alternate between the
    databases, so both meet the same process and the same load from outside: each round starts
    on a new database session, warms up, then times BENCH_SCALE_REQUESTS (default 600) lists and
    as many creates with the garbage collector off, and puts the tenant back to its listed
    shipments (tables vacuumed). Before the rounds, what autovacuum still had to do after the
    provisioning is done and a checkpoint is taken. p50 and p99 are the median of the rounds';
(c) `migrate_schemas` over every schema with the multiprocessing executor and with the standard
    one, first with every schema up to date, then with the latest escrows migration to apply in
    every schema (its backwards SQL run and its record deleted first, as before a deploy).
About 15 minutes with 1000 tenants on two cores; BENCH_SCALE_TENANTS=50 takes three.
"""

import gc
import json
import os
import statistics
import time
from datetime import timedelta

import psycopg
from _broker import purge_queued_tasks_at_exit
from _database import use_fresh_database

N = int(os.environ.get("BENCH_SCALE_TENANTS", "1000"))
REQUESTS = int(os.environ.get("BENCH_SCALE_REQUESTS", "600"))
ROUNDS = 7  # per database; a p99 wants some hundreds of samples a round
WARM_UP = 50  # requests of each kind at the start of a round, on its new database session
LISTED = 60  # shipments on the measured tenant: more than a page, so the list counts and pages
ONE_SESSION = 25  # provisionings on one shared database session
PASSWORD = "a-long-enough-passphrase"
PENDING_APP = "escrows"  # a tenant app: its latest migration is the one a deploy applies
MANY, ONE = "bench_scale", "bench_scale_one"

use_fresh_database(MANY)
purge_queued_tasks_at_exit()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.migrations.loader import MigrationLoader  # noqa: E402
from django.db.migrations.recorder import MigrationRecorder  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context  # noqa: E402

from billing.models import Entitlement, UsageCounter  # noqa: E402
from loginexus.tenancy.models import Domain, Tenant  # noqa: E402
from loginexus.tenancy.services import public_tenant_ensure, tenant_provision  # noqa: E402
from loginexus.tenancy.template import template_schema_name  # noqa: E402
from shipments.models import Shipment, ShipmentEvent  # noqa: E402
from shipments.services import shipment_create  # noqa: E402

SHIPMENT = {"origin": "Rotterdam", "destination": "Lyon", "carrier": "DHL", "weight_kg": "12.5"}
# Tables past PostgreSQL's default autovacuum thresholds: what autovacuum would be busy with
# (after many provisionings, for minutes, on the same two cores) if not done before measuring.
_AUTOVACUUM_DUE = """
    SELECT format('%I.%I', stats.schemaname, stats.relname)
      FROM pg_stat_all_tables stats JOIN pg_class rel ON rel.oid = stats.relid
     WHERE stats.schemaname <> 'pg_toast' AND rel.relkind = 'r' AND rel.relpersistence = 'p'
       AND (stats.n_mod_since_analyze > 50 + 0.1 * greatest(rel.reltuples, 0)
            OR stats.n_dead_tup > 50 + 0.2 * greatest(rel.reltuples, 0)
            OR stats.n_ins_since_vacuum > 1000 + 0.2 * greatest(rel.reltuples, 0))
"""


def database_create(name: str) -> None:
    """An empty database `name` on the server of the default one (dropped first if it exists)."""
    server = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        user=server["USER"] or None,
        password=server["PASSWORD"] or None,
        host=server["HOST"] or None,
        port=server["PORT"] or None,
        autocommit=True,
    ) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")


def database_use(name: str) -> None:
    """The default connection goes to database `name` from its next query, on a new session."""
    connections.close_all()
    connection.settings_dict["NAME"] = name


def quiet_migrate(**options) -> None:
    """Silent through verbosity 0: the multiprocessing executor sends the options to its worker
    processes, and an output stream given as `stdout` cannot be sent."""
    call_command("migrate_schemas", interactive=False, verbosity=0, **options)


def timed(action, *args, **kwargs) -> float:
    started = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - started


def provision(number: int, *, own_session: bool = True) -> Tenant:
    """As a signup request does it; with Django's CONN_MAX_AGE 0 a request's database session
    ends with the request."""
    connection.set_schema_to_public()
    slug = f"scale-{number:04d}"
    tenant = tenant_provision(
        company=f"Scale {number}", slug=slug, admin_email=f"a@{slug}.example",
        admin_password=PASSWORD,
    )  # fmt: skip
    if own_session:
        connections.close_all()
    return tenant


def measured_tenant_prepare(tenant: Tenant) -> Client:
    """An unlimited plan (the timed creates must not meet the Free limit), LISTED shipments, and
    a client logged in as the tenant's admin on its host."""
    now = timezone.now()
    Entitlement.objects.create(
        tenant=tenant, subscribed_plan="enterprise", status="active", interval="month",
        period_start=now - timedelta(days=3), period_end=now + timedelta(days=27),
        stripe_customer_id="cus_bench_scale", stripe_subscription_id="sub_bench_scale",
    )  # fmt: skip
    client = Client(HTTP_HOST=f"{tenant.slug}.localhost")
    with tenant_context(tenant):
        for number in range(LISTED):
            shipment_create(reference=f"LISTED-{number}", **SHIPMENT)
        client.force_login(get_user_model().objects.get())
    connection.set_schema_to_public()
    return client


def measured_tenant_reset(tenant: Tenant) -> None:
    """The measured tenant back to its LISTED shipments, its tables and the usage counters
    vacuumed (every create updates its counter row)."""
    with tenant_context(tenant):
        Shipment.objects.exclude(reference__startswith="LISTED-").delete()
    tables = [
        f'"{tenant.schema_name}"."{model._meta.db_table}"' for model in (Shipment, ShipmentEvent)
    ]
    tables.append(f"public.{UsageCounter._meta.db_table}")
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")
    connection.set_schema_to_public()


def database_settle() -> None:
    """Every table autovacuum has yet to vacuum or analyze done now, then a checkpoint, so no
    round meets the autovacuum or the checkpoint that the provisioning calls for."""
    with connection.cursor() as cursor:
        cursor.execute(_AUTOVACUUM_DUE)
        due = [name for (name,) in cursor.fetchall()]
        if due:
            cursor.execute(f"VACUUM ANALYZE {', '.join(due)}")
        cursor.execute("CHECKPOINT")


def timed_requests(request, prefix: str) -> list[float]:
    gc.collect()
    gc.disable()
    try:
        return [timed(request, f"{prefix}{number}") for number in range(REQUESTS)]
    finally:
        gc.enable()


def api_round(database: str, measured: dict, number: int) -> None:
    """One round on `database`'s measured tenant, its timings added to `measured`."""
    database_use(database)
    tenant, client = measured["tenant"], measured["client"]

    def list_shipments(_: str) -> None:
        response = client.get("/api/v1/shipments/")
        assert response.status_code == 200, response.content

    def create_shipment(reference: str) -> None:
        body = json.dumps({**SHIPMENT, "reference": reference})
        response = client.post("/api/v1/shipments/", body, content_type="application/json")
        assert response.status_code == 201, response.content

    def lookup_domain(_: str) -> None:
        """What django-tenants' middleware asks first in every request."""
        Domain.objects.select_related("tenant").get(domain=f"{tenant.slug}.localhost")

    for warming in range(WARM_UP):
        list_shipments("")
        create_shipment(f"warm-{number}-{warming}")
    measured_tenant_reset(tenant)
    measured["list"].append(timed_requests(list_shipments, ""))
    assert client.get("/api/v1/shipments/").json()["count"] == LISTED
    measured["create"].append(timed_requests(create_shipment, f"{number}-"))
    connection.set_schema_to_public()
    measured["domain"].append(timed_requests(lookup_domain, ""))
    if number == 0:
        with CaptureQueriesContext(connection) as listed:
            list_shipments("")
        with CaptureQueriesContext(connection) as created:
            create_shipment("counted")
        measured["queries"] = (len(listed), len(created))
    measured_tenant_reset(tenant)


def tenant_schemas() -> list[str]:
    names = Tenant.objects.exclude(schema_name=get_public_schema_name())
    return [*names.values_list("schema_name", flat=True), template_schema_name()]


def pending_migration_make() -> tuple[str, str]:
    """Undo the latest migration of PENDING_APP in every tenant schema and the template, as if a
    deploy brought it: run its backwards SQL and delete its record."""
    with schema_context(template_schema_name()):  # the router writes no tenant SQL in public
        loader = MigrationLoader(connection, replace_migrations=False)
        [key] = loader.graph.leaf_nodes(PENDING_APP)
        collected = loader.collect_sql([(loader.graph.nodes[key], True)])
    backwards = [statement for statement in collected if not statement.startswith("--")]
    assert backwards, f"{key} changes nothing in a tenant schema"
    for schema_name in tenant_schemas():
        with schema_context(schema_name), connection.cursor() as cursor:
            for statement in backwards:
                cursor.execute(statement)
            MigrationRecorder(connection).record_unapplied(*key)
    connections.close_all()
    return key


def schemas_without(key: tuple[str, str]) -> int:
    missing = 0
    for schema_name in tenant_schemas():
        with schema_context(schema_name):
            missing += not MigrationRecorder.Migration.objects.filter(
                app=key[0], name=key[1]
            ).exists()
    return missing


def migrate_all(executor: str, *, pending: bool) -> float:
    key = pending_migration_make() if pending else None
    connections.close_all()
    seconds = timed(quiet_migrate, executor=executor)
    if key is not None:
        assert schemas_without(key) == 0, f"{executor}: {key} left unapplied"
    return seconds


def ms(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def round_ms(rounds: list[list[float]], fraction: float) -> float:
    """The percentile of each round; their median."""
    return statistics.median(ms(values, fraction) for values in rounds)


def report_api(name: str, one: list[list[float]], many: list[list[float]]) -> None:
    (one50, one99), (many50, many99) = ((round_ms(r, 0.5), round_ms(r, 0.99)) for r in (one, many))
    print(f"  API {name:<6} p50/p99, 1 tenant: {one50:5.2f} / {one99:5.2f} ms;"
          f" {N} tenants: {many50:5.2f} / {many99:5.2f} ms;"
          f" ratio p50 {many50 / one50:.2f}, p99 {many99 / one99:.2f} (goal <= 1.1)")  # fmt: skip


def report_migrate(name: str, serial: float, parallel: float) -> None:
    print(f"    {name:<34} serial {serial:6.1f} s, parallel {parallel:6.1f} s,"
          f" ratio {serial / parallel:.1f}x")  # fmt: skip


def measured_tenant_provision() -> dict:
    started = time.perf_counter()
    tenant = provision(1)
    provisioned = time.perf_counter() - started
    client = measured_tenant_prepare(tenant)
    connections.close_all()
    return {"tenant": tenant, "client": client, "provisioned": provisioned,
            "list": [], "create": [], "domain": []}  # fmt: skip


def main() -> None:
    database_create(ONE)
    measured = {}
    for database in (ONE, MANY):
        database_use(database)
        quiet_migrate()
        public_tenant_ensure()
        measured[database] = measured_tenant_provision()
    provisioning = [measured[MANY]["provisioned"]]
    started = time.perf_counter()
    provisioning += [timed(provision, number) for number in range(2, N + 1)]
    provisioned = provisioning[0] + time.perf_counter() - started

    for database in (ONE, MANY):
        database_use(database)
        database_settle()
    for number in range(ROUNDS):
        for database in (ONE, MANY) if number % 2 == 0 else (MANY, ONE):
            api_round(database, measured[database], number)
    one, many = measured[ONE], measured[MANY]

    database_use(MANY)
    # Parallel first: whatever the first run warms, the serial run gets.
    processes = getattr(settings, "TENANT_MULTIPROCESSING_MAX_PROCESSES", 2)
    up_to_date = [
        migrate_all(executor, pending=False) for executor in ("multiprocessing", "standard")
    ]
    pending = [migrate_all(executor, pending=True) for executor in ("multiprocessing", "standard")]

    connections.close_all()
    one_session = [
        timed(provision, N + number, own_session=False) for number in range(1, ONE_SESSION + 1)
    ]

    tenth = max(1, N // 10)
    first, last = statistics.median(provisioning[:tenth]), statistics.median(provisioning[-tenth:])
    print(f"scale: {N} tenants; API on two identical tenants, alone in a database and among {N},"
          f" {ROUNDS} alternating rounds of {REQUESTS} requests"
          f" (the median of the rounds' p50, p99)")  # fmt: skip
    print(f"  provision {N} tenants (clone): {provisioned:6.1f} s,"
          f" median {statistics.median(provisioning):.3f} s per tenant"
          f" (first {tenth}: {first:.3f} s, last {tenth}: {last:.3f} s)")  # fmt: skip
    print(f"  {ONE_SESSION} more provisioned on one database session: first {one_session[0]:.3f} s,"
          f" last {one_session[-1]:.3f} s per tenant")  # fmt: skip
    report_api("list", one["list"], many["list"])
    report_api("create", one["create"], many["create"])
    domain = round_ms(one["domain"], 0.5), round_ms(many["domain"], 0.5)
    print(f"  per request with 1 / {N} tenants: queries list {one['queries'][0]} /"
          f" {many['queries'][0]}, create {one['queries'][1]} / {many['queries'][1]};"
          f" domain lookup p50 {domain[0]:.3f} / {domain[1]:.3f} ms")  # fmt: skip
    print(f"  migrate_schemas over {N} tenant schemas (and public, template),"
          f" parallel: multiprocessing executor, {processes} processes")  # fmt: skip
    report_migrate("every schema up to date:", up_to_date[1], up_to_date[0])
    report_migrate(f"latest {PENDING_APP} migration to apply:", pending[1], pending[0])


if __name__ == "__main__":
    main()

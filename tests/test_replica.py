"""Staff-only heavy reads on a real hot standby of the test database's server: they read the
standby while it keeps up, the primary while it lags, is paused or is down, and tenant requests
never touch it."""

import copy
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import psycopg
import psycopg.sql
import pytest
from django.conf import settings as django_settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.utils import timezone

from billing.models import Entitlement
from billing.selectors import entitlements_to_reconcile
from billing.staff.metrics import platform_metrics
from loginexus.replica import REPLICA, staff_reads
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.postgresql_backend.base import DatabaseWrapper
from loginexus.tenancy.selectors import tenant_host
from tests.conftest import (
    admin_of,
    host_client,
    logged_in,
    on_plan,
    staff_member,
    staff_member_remove,
)

STANDBY_PORT = 5433


class Standby:
    """A hot standby of the test database's server, copied by pg_basebackup -R and streaming from
    it, run by pg_ctl as the server's own user on a socket in a private directory."""

    def __init__(self, *, bin_dir: Path, directory: Path, owner: str | None) -> None:
        self.bin_dir, self.directory, self.owner = bin_dir, directory, owner
        self.data = directory / "data"
        self.database = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [str(self.bin_dir / tool), *args],
            check=True, capture_output=True, text=True, timeout=60, user=self.owner,
        )  # fmt: skip

    def copy_from(self, primary: dict) -> None:
        self._run(
            "pg_basebackup", "-h", primary["HOST"], "-p", str(primary["PORT"] or 5432),
            "-U", primary["USER"], "-D", str(self.data), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip

    def start(self) -> None:
        # Streaming that stopped is tried again after 0.2 s, not 5.
        options = f"-k {self.directory} -h '' -p {STANDBY_PORT} -c wal_retrieve_retry_interval=200"
        log = str(self.directory / "log")
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "-t", "30", "start"
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def database_settings(self) -> dict:
        """The `replica` alias as the settings make it for a DATABASE_REPLICA_URL naming this
        standby: the primary's engine, its test database as replayed here."""
        replica = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
        replica.update(HOST=str(self.directory), PORT=str(STANDBY_PORT))
        replica["OPTIONS"] = {**replica["OPTIONS"], "connect_timeout": 2}
        replica["TEST"] = {**replica["TEST"], "MIRROR": DEFAULT_DB_ALIAS}
        return replica

    def sql(self, query: str, params: tuple = ()) -> tuple:
        """One statement on the standby, outside Django (its connections are what is counted)."""
        user = connections[DEFAULT_DB_ALIAS].settings_dict["USER"]
        with psycopg.connect(
            host=str(self.directory), port=STANDBY_PORT, user=user, dbname=self.database,
            autocommit=True,
        ) as standby:  # fmt: skip
            cursor = standby.execute(query, params)
            return cursor.fetchone() if cursor.description else ()

    def wait_for_replay(self) -> None:
        """Until the standby has replayed everything the primary committed so far."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            (primary_lsn,) = cursor.fetchone()
        query = "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn"
        eventually(lambda: self.sql(query, (primary_lsn,))[0], what="the standby replays")


def eventually(condition: Callable[[], object], *, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def _server_binaries() -> tuple[Path, str | None]:
    """The directory of the running server's own programs (same version for pg_basebackup), and
    the user to run them as: the server's, when we are root (PostgreSQL refuses root)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    server = psutil.Process(pid)
    owner = server.username() if os.geteuid() == 0 else None
    return Path(server.exe()).parent, owner


@pytest.fixture(scope="module")
def standby(django_db_setup, django_db_blocker) -> Iterator[Standby]:
    """A standby of the test database's server (a few seconds to copy and start), named by the
    `replica` alias for this module's tests, stopped and removed afterwards whatever happened."""
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    if primary["HOST"] and not primary["HOST"].startswith("/") and primary["HOST"] != "localhost":
        pytest.skip("the test database's server is not on this machine: no copy of it here")
    with django_db_blocker.unblock():
        bin_dir, owner = _server_binaries()
    if not (bin_dir / "pg_basebackup").exists() or not (bin_dir / "pg_ctl").exists():
        pytest.skip(f"pg_basebackup and pg_ctl are not beside the server's program in {bin_dir}")
    directory = Path(tempfile.mkdtemp(prefix="lnx-standby-"))  # short: it holds a socket
    if owner:
        shutil.chown(directory, owner, owner)
    server = Standby(bin_dir=bin_dir, directory=directory, owner=owner)
    try:
        server.copy_from(primary)
        server.start()
        django_settings.DATABASES[REPLICA] = server.database_settings()
        yield server
    finally:
        if REPLICA in django_settings.DATABASES:
            connections[REPLICA].close()
            del connections[REPLICA]
            del django_settings.DATABASES[REPLICA]
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(autouse=True)
def _lag_limit_one_second(settings) -> None:
    settings.REPLICA_MAX_LAG_SECONDS = 1


@contextmanager
def statements(alias: str) -> Iterator[list[str]]:
    """The SQL this thread's connection to `alias` runs meanwhile (without connecting it)."""
    ran: list[str] = []

    def record(execute, sql, params, many, context):
        ran.append(sql)
        return execute(sql, params, many, context)

    with connections[alias].execute_wrapper(record):
        yield ran


def staff_reads_go_to(alias: str) -> None:
    eventually(lambda: staff_reads() == alias, what=f"staff reads go to {alias}")


@pytest.fixture
def staff_client(committed_db):
    staff = staff_member(
        email="replica-staff@loginexus.example", permissions=("tenancy.view_tenant",)
    )
    client = host_client("localhost")
    client.force_login(staff)
    yield client
    staff_member_remove(staff)


def _tenants_on_primary() -> int:
    return Tenant.objects.exclude(schema_name="public").count()


def test_staff_reads_go_to_the_standby_through_the_tenants_backend_in_the_public_schema(
    standby, committed_db
):
    staff_reads_go_to(REPLICA)
    replica = connections[REPLICA]
    assert isinstance(replica, DatabaseWrapper)
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_setting('search_path')")
        assert cursor.fetchone() == (True, "public")
    assert replica.schema_name == "public"


def test_platform_metrics_read_the_standby_and_show_what_the_primary_committed(
    standby, committed_tenant, staff_client
):
    on_plan(committed_tenant, "pro", interval="month", stripe_subscription_id="sub_replica_a")
    standby.wait_for_replay()
    staff_reads_go_to(REPLICA)
    with statements(REPLICA) as on_standby, statements(DEFAULT_DB_ALIAS) as on_primary:
        metrics = platform_metrics(now=timezone.now())
    assert on_standby
    assert on_primary == []
    assert metrics.tenants == _tenants_on_primary()
    assert {str(bucket.label): bucket.tenants for bucket in metrics.tenants_per_plan}["Pro"] == 1
    assert metrics.revenue.mrr > 0

    with statements(REPLICA) as on_standby:
        page = staff_client.get("/admin/metrics/")
    assert page.status_code == 200
    assert on_standby


def test_the_staff_tenant_list_counts_on_the_standby(standby, committed_tenant, staff_client):
    standby.wait_for_replay()
    staff_reads_go_to(REPLICA)
    with statements(REPLICA) as on_standby, statements(DEFAULT_DB_ALIAS) as on_primary:
        page = staff_client.get("/admin/tenancy/tenant/")
    assert page.status_code == 200
    assert committed_tenant.name in page.content.decode()
    counted_on_standby = " ".join(on_standby)
    assert "COUNT(*)" in counted_on_standby and "tenancy_tenant" in counted_on_standby
    assert "billing_usagecounter" in counted_on_standby  # the standings' counters
    # The primary: the host's workspace, the session and the staff member, nothing counted.
    assert not any("COUNT(" in sql or "billing_usagecounter" in sql for sql in on_primary)


def test_the_nightly_reconcile_selects_on_the_standby(standby, committed_tenant):
    on_plan(committed_tenant, "pro", interval="month", stripe_subscription_id="sub_replica_n")
    standby.wait_for_replay()
    staff_reads_go_to(REPLICA)
    selection = entitlements_to_reconcile()
    assert selection.db == REPLICA
    with statements(DEFAULT_DB_ALIAS) as on_primary:
        assert list(selection.values_list("tenant_id", flat=True)) == [committed_tenant.pk]
    assert on_primary == []


def test_a_paused_standby_leaves_staff_reads_to_the_primary_until_it_replays_again(
    standby, committed_tenant, caplog
):
    standby.wait_for_replay()
    staff_reads_go_to(REPLICA)
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        eventually(
            lambda: standby.sql("SELECT pg_get_wal_replay_pause_state()")[0] == "paused",
            what="replay is paused",
        )
        on_plan(committed_tenant, "pro", interval="month", stripe_subscription_id="sub_paused")
        staff_reads_go_to(DEFAULT_DB_ALIAS)
        assert "Staff reads go to default: the standby's replay is paused" in caplog.text
        with statements(REPLICA) as on_standby:
            metrics = platform_metrics(now=timezone.now())
        assert on_standby == []
        assert {str(b.label): b.tenants for b in metrics.tenants_per_plan}["Pro"] == 1
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")
    staff_reads_go_to(REPLICA)
    with statements(REPLICA) as on_standby:
        metrics = platform_metrics(now=timezone.now())
    assert on_standby
    assert {str(b.label): b.tenants for b in metrics.tenants_per_plan}["Pro"] == 1


def test_a_standby_replaying_behind_the_limit_leaves_staff_reads_to_the_primary(
    standby, committed_tenant, caplog
):
    """A real lag: the standby receives the write at once but applies it 4 s later."""
    standby.wait_for_replay()
    staff_reads_go_to(REPLICA)
    standby.sql("ALTER SYSTEM SET recovery_min_apply_delay = '4s'")
    standby.sql("SELECT pg_reload_conf()")
    try:
        on_plan(committed_tenant, "pro", interval="month", stripe_subscription_id="sub_delayed")
        staff_reads_go_to(DEFAULT_DB_ALIAS)
        assert re.search(r"go to default: the standby is [\d.]+ s behind the primary", caplog.text)
        metrics = platform_metrics(now=timezone.now())
        assert {str(b.label): b.tenants for b in metrics.tenants_per_plan}["Pro"] == 1
    finally:
        standby.sql("ALTER SYSTEM RESET recovery_min_apply_delay")
        standby.sql("SELECT pg_reload_conf()")
    standby.wait_for_replay()
    staff_reads_go_to(REPLICA)
    assert {str(b.label): b.tenants for b in platform_metrics(now=timezone.now()).tenants_per_plan}[
        "Pro"
    ] == 1


def test_a_standby_cut_off_from_the_primary_leaves_staff_reads_to_the_primary(
    standby, committed_tenant, caplog
):
    """Cut off, a standby has replayed all it received: only its lack of a WAL receiver says
    that it knows nothing of what it misses."""
    standby.wait_for_replay()
    staff_reads_go_to(REPLICA)
    (reaching_the_primary,) = standby.sql("SHOW primary_conninfo")
    standby.sql("ALTER SYSTEM SET primary_conninfo = 'host=/nonexistent port=1'")
    standby.sql("SELECT pg_reload_conf()")
    try:
        staff_reads_go_to(DEFAULT_DB_ALIAS)
        assert "the standby is not streaming from the primary" in caplog.text
    finally:
        standby.sql(
            psycopg.sql.SQL("ALTER SYSTEM SET primary_conninfo = {}").format(reaching_the_primary)
        )
        standby.sql("SELECT pg_reload_conf()")
    staff_reads_go_to(REPLICA)


def test_rows_read_on_the_standby_follow_their_relations_and_save_on_the_primary(
    standby, committed_tenant
):
    on_plan(committed_tenant, "pro", interval="month", stripe_subscription_id="sub_replica_r")
    standby.wait_for_replay()
    entitlement = Entitlement.objects.using(REPLICA).get(tenant=committed_tenant)
    with statements(REPLICA) as on_standby, statements(DEFAULT_DB_ALIAS) as on_primary:
        assert entitlement.tenant.slug == committed_tenant.slug
        entitlement.status = "past_due"
        entitlement.save(update_fields=["status"])
    assert on_standby == []
    assert any(sql.startswith('UPDATE "billing_entitlement"') for sql in on_primary)
    assert Entitlement.objects.get(pk=entitlement.pk).status == "past_due"


def test_tenant_requests_never_touch_the_standby(standby, committed_tenant):
    standby.wait_for_replay()
    staff_reads_go_to(REPLICA)
    client = logged_in(
        host_client(tenant_host(slug=committed_tenant.slug)),
        committed_tenant,
        admin_of(committed_tenant),
    )
    shipment = {
        "reference": "REPLICA-1", "origin": "Rotterdam", "destination": "Hamburg",
        "carrier": "Maersk", "weight_kg": "12.500",
    }  # fmt: skip
    with statements(REPLICA) as on_standby:
        created = client.post("/api/v1/shipments/", shipment, content_type="application/json")
        assert created.status_code == 201
        read = client.get(f"/api/v1/shipments/{created.json()['id']}/")
        assert read.status_code == 200
        assert read.json()["reference"] == "REPLICA-1"
        assert client.get("/api/v1/shipments/").json()["count"] == 1
        assert client.get("/billing/").status_code == 200
    assert on_standby == []
    assert connections[REPLICA].schema_name == "public"


def test_a_stopped_standby_leaves_staff_reads_and_pages_to_the_primary(
    standby, committed_tenant, staff_client, caplog
):
    with connection.cursor() as cursor:
        # The standby restarts from the restart point it makes of this, not from its copy.
        cursor.execute("CHECKPOINT")
    standby.wait_for_replay()
    staff_reads_go_to(REPLICA)
    standby.stop()
    try:
        # A read that was on its way there fails; the next staff read asks again, at once.
        with pytest.raises(OperationalError):
            Tenant.objects.using(REPLICA).count()
        assert staff_reads() == DEFAULT_DB_ALIAS
        assert "Staff reads go to default: the standby is unreachable" in caplog.text
        assert platform_metrics(now=timezone.now()).tenants == _tenants_on_primary()
        assert staff_client.get("/admin/metrics/").status_code == 200
        listed = staff_client.get("/admin/tenancy/tenant/")
        assert listed.status_code == 200
        assert committed_tenant.name in listed.content.decode()
        assert list(entitlements_to_reconcile()) == []
    finally:
        standby.start()
    staff_reads_go_to(REPLICA)


def test_a_replica_url_naming_a_primary_leaves_staff_reads_to_the_primary(
    standby, committed_db, caplog
):
    """A server out of recovery (the standby promoted, or the primary named by mistake) is no
    copy of the primary: its data goes its own way."""
    staff_reads_go_to(REPLICA)
    replica = connections[REPLICA]
    standby_address = replica.settings_dict["HOST"], replica.settings_dict["PORT"]
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    replica.close()
    replica.settings_dict["HOST"], replica.settings_dict["PORT"] = primary["HOST"], primary["PORT"]
    try:
        staff_reads_go_to(DEFAULT_DB_ALIAS)
        assert "the replica database is not a standby (promoted?)" in caplog.text
    finally:
        replica.close()
        replica.settings_dict["HOST"], replica.settings_dict["PORT"] = standby_address
    staff_reads_go_to(REPLICA)

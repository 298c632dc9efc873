"""The README's restore, tried: one tenant's schema dumped with `pg_dump -n` and restored into a
fresh database on the test database's server holds every one of that tenant's rows, and nothing
of any other tenant."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psutil
import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from tests.conftest import make_escrow, make_shipment

RESTORED = "restore_one_tenant"


def _server_binaries() -> tuple[Path, str | None]:
    """The running server's own programs (pg_dump of its version), and the user to run them as:
    the server's, when we are root."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    server = psutil.Process(pid)
    return Path(server.exe()).parent, server.username() if os.geteuid() == 0 else None


def _connect(primary: dict, database: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(
        host=primary["HOST"] or None, port=primary["PORT"] or None, user=primary["USER"],
        password=primary["PASSWORD"] or None, dbname=database, autocommit=True,
    )  # fmt: skip


def test_one_tenants_schema_restores_into_a_fresh_database_with_every_row(
    committed_tenant, tenant_b
):
    for _ in range(3):
        make_shipment(committed_tenant)
    make_escrow(committed_tenant)
    make_shipment(tenant_b)
    schema = committed_tenant.schema_name
    bin_dir, owner = _server_binaries()
    if not (bin_dir / "pg_dump").exists() or not (bin_dir / "pg_restore").exists():
        pytest.skip(f"pg_dump and pg_restore are not beside the server's program in {bin_dir}")
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    server = ["-h", primary["HOST"], "-p", str(primary["PORT"] or 5432), "-U", primary["USER"]]
    directory = Path(tempfile.mkdtemp(prefix="lnx-dump-"))
    if owner:
        shutil.chown(directory, owner, owner)
    dump = directory / f"{schema}.dump"
    with _connect(primary) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {RESTORED} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {RESTORED}")
    try:
        # As the README says: the custom format, the tenant's schema alone.
        subprocess.run(
            [str(bin_dir / "pg_dump"), *server, "-d", primary["NAME"], "-n", schema, "-Fc",
             "-f", str(dump)],
            check=True, capture_output=True, text=True, timeout=60, user=owner,
        )  # fmt: skip
        subprocess.run(
            [str(bin_dir / "pg_restore"), *server, "-d", RESTORED, "--no-owner",
             "--exit-on-error", str(dump)],
            check=True, capture_output=True, text=True, timeout=60, user=owner,
        )  # fmt: skip

        with connection.cursor() as cursor:
            counts = {}
            for table in ("shipments_shipment", "escrows_escrow", "accounts_user"):
                cursor.execute(f'SELECT count(*) FROM "{schema}".{table}')  # noqa: S608
                counts[table] = cursor.fetchone()[0]
        with _connect(primary, RESTORED) as copy:
            schemas = {row[0] for row in copy.execute(
                "SELECT schema_name FROM information_schema.schemata"
                " WHERE schema_name LIKE 't\\_%%' OR schema_name = %s", (schema,)
            )}  # fmt: skip
            restored_counts = {
                table: copy.execute(f'SELECT count(*) FROM "{schema}".{table}').fetchone()[0]  # noqa: S608
                for table in counts
            }
        assert schemas == {schema}
        assert counts == {"shipments_shipment": 4, "escrows_escrow": 1, "accounts_user": 1}
        assert restored_counts == counts
    finally:
        with _connect(primary) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {RESTORED} WITH (FORCE)")
        shutil.rmtree(directory, ignore_errors=True)

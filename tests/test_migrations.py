"""The real migrations, on an empty database: migrate_schemas, the template, makemigrations.

The rest of the suite builds its tables from the models; this keeps the migrations honest.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "test_loginexus_migrations"

pytestmark = pytest.mark.slow


def _admin_connection() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname="postgres",
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        autocommit=True,
    )


@pytest.fixture(scope="module")
def empty_database():
    with _admin_connection() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{DATABASE}"))
    yield url
    with _admin_connection() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "DJANGO_ENV": "development"},
        capture_output=True,
        text=True,
        timeout=600,
    )


def sql(database_url: str, statement: str) -> None:
    db = settings.DATABASES["default"]
    with psycopg.connect(
        dbname=DATABASE, user=db["USER"], host=db["HOST"] or None, port=db["PORT"] or None,
        password=db["PASSWORD"] or None, autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(statement)


@pytest.fixture(scope="module")
def migrated(empty_database):
    """migrate_schemas on the empty database, then the demo tenant provisioned by cloning."""
    migrated = manage(empty_database, "migrate_schemas", "--noinput")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    seeded = manage(empty_database, "seed_demo")
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    return empty_database, migrated


def test_migrate_schemas_builds_public_and_template_from_nothing(migrated):
    _database, migrated_run = migrated
    assert "[standard:public]" in migrated_run.stdout
    assert "[template:tenant_template]" in migrated_run.stdout


def test_models_and_migrations_agree(migrated):
    no_changes = manage(migrated[0], "makemigrations", "--check", "--dry-run")
    assert no_changes.returncode == 0, no_changes.stdout + no_changes.stderr


def test_cloned_tenant_matches_the_template_and_migrating_again_skips_it(migrated):
    database, _ = migrated
    checked = manage(database, "check_tenant_template", "--against", "t_acme")
    assert checked.returncode == 0, checked.stderr
    assert "current" in checked.stdout

    again = manage(database, "migrate_schemas", "--noinput")
    assert again.returncode == 0, again.stderr[-3000:]
    acme_lines = [line for line in again.stdout.splitlines() if ":t_acme]" in line]
    assert any("No migrations to apply" in line for line in acme_lines), again.stdout
    assert not any("Applying" in line for line in acme_lines)


def test_template_with_a_different_structure_than_a_tenant_is_reported(migrated):
    database, _ = migrated
    sql(database, "ALTER TABLE tenant_template.accounts_user ADD COLUMN stray integer")
    drifted = manage(database, "check_tenant_template", "--against", "t_acme")
    assert drifted.returncode != 0
    assert "Only the template has column on accounts_user: stray integer YES" in drifted.stderr
    sql(database, "ALTER TABLE tenant_template.accounts_user DROP COLUMN stray")


def test_template_missing_a_migration_is_reported_and_refuses_signup(migrated):
    database, _ = migrated
    sql(database, "DELETE FROM tenant_template.django_migrations WHERE app = 'authtoken'")
    stale = manage(database, "check_tenant_template")
    assert stale.returncode != 0
    assert "lacks migrations: authtoken.0001_initial" in stale.stderr
    signup = manage(
        database,
        "shell",
        "-c",
        "from loginexus.tenancy.services import tenant_provision\n"
        "try:\n"
        "    tenant_provision(company='Late', slug='late', admin_email='a@late.example',"
        " admin_password='a-long-enough-passphrase')\n"
        "except Exception as error:\n"
        "    print(type(error).__name__)\n",
    )
    assert signup.stdout.strip().endswith("SignupUnavailable"), signup.stdout + signup.stderr

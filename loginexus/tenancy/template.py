"""The template schema new tenants are cloned from, and the check that it is current.

django-tenants' `migrate_schemas` does not migrate the template (it is no tenant row), and a clone
of a stale template silently lacks tables while recording their migrations as applied. So every
migrate also migrates the template, and provisioning refuses to clone one that lags behind.
"""

import re
from functools import cache

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import get_public_schema_name, schema_exists
from psycopg import sql

from loginexus.tenancy.models import Tenant


def template_schema_name() -> str:
    return settings.TENANT_BASE_SCHEMA


@cache
def migrations_on_disk() -> frozenset[tuple[str, str]]:
    """Every migration of every installed app; the code does not change while a process runs."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def recorded_migrations(schema_name: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f'"{schema_name}".django_migrations'])
        if not cursor.fetchone()[0]:
            return set()
        cursor.execute(
            sql.SQL("SELECT app, name FROM {}.django_migrations").format(
                sql.Identifier(schema_name)
            )
        )
        return set(cursor.fetchall())


def schema_structure(schema_name: str) -> set[tuple[str, str, str]]:
    """Tables, columns (type, nullability), indexes and constraints of a schema, by definition.

    Definitions rather than names: cloning recreates unique constraints under new names.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, 'column', column_name || ' ' || data_type || ' ' || is_nullable
              FROM information_schema.columns WHERE table_schema = %(schema)s
            UNION ALL
            SELECT tablename, 'index', indexdef FROM pg_indexes WHERE schemaname = %(schema)s
            UNION ALL
            SELECT rel.relname, 'constraint', pg_get_constraintdef(con.oid)
              FROM pg_constraint con
              JOIN pg_class rel ON rel.oid = con.conrelid
              JOIN pg_namespace nsp ON nsp.oid = rel.relnamespace
             WHERE nsp.nspname = %(schema)s
            """,
            {"schema": schema_name},
        )
        rows = cursor.fetchall()
    qualifier = re.compile(rf'"?{re.escape(schema_name)}"?\.')
    index_name = re.compile(r"INDEX \S+ ON ")
    return {
        (table, kind, index_name.sub("INDEX ON ", qualifier.sub("", definition)))
        for table, kind, definition in rows
    }


def template_missing_migrations() -> set[tuple[str, str]]:
    """Migrations on disk that the template has not recorded (all of them if it does not exist)."""
    return set(migrations_on_disk()) - recorded_migrations(template_schema_name())


def template_problems(reference_schema: str | None = None) -> list[str]:
    """What makes the template unfit to clone: missing schema or migrations, or a structure that
    differs from a real tenant's (the newest tenant unless `reference_schema` is given)."""
    template = template_schema_name()
    if not schema_exists(template):
        return [f'The template schema "{template}" does not exist; run migrate_schemas.']
    problems = []
    missing = template_missing_migrations()
    if missing:
        names = ", ".join(f"{app}.{name}" for app, name in sorted(missing))
        problems.append(f'The template schema "{template}" lacks migrations: {names}.')
    if reference_schema is None:
        newest = (
            Tenant.objects.exclude(schema_name=get_public_schema_name())
            .order_by("-created_at")
            .values_list("schema_name", flat=True)
            .first()
        )
        reference_schema = newest
    if reference_schema:
        template_only = schema_structure(template) - schema_structure(reference_schema)
        tenant_only = schema_structure(reference_schema) - schema_structure(template)
        for table, kind, definition in sorted(template_only):
            problems.append(f"Only the template has {kind} on {table}: {definition}.")
        for table, kind, definition in sorted(tenant_only):
            problems.append(
                f'Only tenant "{reference_schema}" has {kind} on {table}: {definition}.'
            )
        if recorded_migrations(template) != recorded_migrations(reference_schema):
            problems.append(
                f'The template and tenant "{reference_schema}" have recorded different migrations.'
            )
    return problems

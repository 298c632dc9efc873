"""The migrate command django-tenants runs in each schema, with a fast path for tenant schemas.

A tenant schema holds no table of a shared-only app (dj-stripe, billing, admin): the router skips
their SQL there. Django would still rebuild their model state operation by operation in every
schema (dj-stripe's alone costs about half a minute), so migrations of shared-only apps whose
dependencies are met are recorded directly, and Django runs only when a tenant app has work.
"""

from django.apps import apps
from django.conf import settings
from django.core.management.commands import migrate
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.utils import get_public_schema_name

# Options that ask migrate for something other than "bring every app up to date" (run_syncdb:
# apps without migrations, as in the test database, need Django itself).
_SPECIFIC_OPTIONS = (
    "app_label",
    "migration_name",
    "plan",
    "check_unapplied",
    "prune",
    "run_syncdb",
)


def tenant_app_labels() -> set[str]:
    return {
        config.label for config in apps.get_app_configs() if config.name in settings.TENANT_APPS
    }


def record_shared_only_migrations(connection) -> list[tuple[str, str]]:
    """Record, in the connection's (tenant) schema, every unapplied migration of a shared-only app
    whose dependencies are all applied; return the migrations that are still to run."""
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    applied = set(executor.loader.applied_migrations)
    tenant_apps = tenant_app_labels()
    recorder = MigrationRecorder(connection)
    pending: list[tuple[str, str]] = []
    for migration, _backwards in executor.migration_plan(graph.leaf_nodes()):
        key = (migration.app_label, migration.name)
        dependencies_met = all(parent.key in applied for parent in graph.node_map[key].parents)
        if migration.app_label not in tenant_apps and dependencies_met:
            for replaced in migration.replaces or [key]:
                recorder.record_applied(*replaced)
            applied.add(key)
        else:
            pending.append(key)
    return pending


class TenantMigrateCommand(migrate.Command):
    def handle(self, *args, **options):
        connection = connections[options.get("database") or "default"]
        in_tenant_schema = connection.schema_name != get_public_schema_name()
        everything = not any(options.get(name) for name in _SPECIFIC_OPTIONS)
        if in_tenant_schema and everything and not record_shared_only_migrations(connection):
            if options.get("verbosity", 1) >= 1:
                self.stdout.write("  No migrations to apply.")
            return
        super().handle(*args, **options)

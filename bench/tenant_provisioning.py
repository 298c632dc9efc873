"""Provisioning a tenant: cloning the template schema versus running migrations, side by side.

Prints the median seconds per tenant of each way and the ratios. Also times `migrate_schemas`
over all those tenants when there is nothing to do, with our tenant fast path and without it.
BENCH_TENANTS (default 3) tenants per way.
"""

import os
import statistics
import time

from _broker import purge_queued_tasks_at_exit
from _database import use_fresh_database

use_fresh_database("bench_tenant_provisioning")
purge_queued_tasks_at_exit()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from loginexus.accounts.models import Role  # noqa: E402
from loginexus.tenancy.models import Domain, Tenant  # noqa: E402
from loginexus.tenancy.selectors import tenant_host  # noqa: E402
from loginexus.tenancy.services import public_tenant_ensure, tenant_provision  # noqa: E402
from loginexus.tenancy.validators import schema_name_for_slug  # noqa: E402

N = int(os.environ.get("BENCH_TENANTS", "3"))
PASSWORD = "a-long-enough-passphrase"
DJANGO_MIGRATE = "django.core.management.commands.migrate.Command"


def quiet_migrate(**options) -> None:
    with open(os.devnull, "w") as devnull:
        call_command("migrate_schemas", interactive=False, verbosity=0, stdout=devnull, **options)


def provision_by_cloning(slug: str) -> None:
    tenant_provision(
        company=slug, slug=slug, admin_email=f"a@{slug}.example", admin_password=PASSWORD
    )


def provision_by_migrating(slug: str) -> None:
    """What django-tenants does without a template: create the schema, run every migration."""
    tenant = Tenant.objects.create(name=slug, slug=slug, schema_name=schema_name_for_slug(slug))
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{tenant.schema_name}"')
    quiet_migrate(tenant=True, schema_name=tenant.schema_name)
    connection.set_schema_to_public()
    Domain.objects.create(domain=tenant_host(slug=slug), tenant=tenant, is_primary=True)
    with schema_context(tenant.schema_name):
        get_user_model().objects.create_user(f"a@{slug}.example", PASSWORD, role=Role.ADMIN)


def timed(action, *args, **kwargs) -> float:
    started = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - started


def main() -> None:
    quiet_migrate()  # public schema and template, through the real migrations
    public_tenant_ensure()
    cloning = [timed(provision_by_cloning, f"clone-{i}") for i in range(N)]
    with override_settings(TENANT_BASE_MIGRATE_COMMAND=DJANGO_MIGRATE):
        migrating = [timed(provision_by_migrating, f"migrate-{i}") for i in range(N)]
    migrating_fast = [timed(provision_by_migrating, f"migrate-fast-{i}") for i in range(N)]

    tenants = Tenant.objects.exclude(schema_name="public").count()
    noop_fast = timed(quiet_migrate, tenant=True)
    with override_settings(TENANT_BASE_MIGRATE_COMMAND=DJANGO_MIGRATE):
        noop_django = timed(quiet_migrate, tenant=True)

    clone, migrate, migrate_fast = (
        statistics.median(x) for x in (cloning, migrating, migrating_fast)
    )
    print(f"tenant provisioning, {N} tenants each, median seconds per tenant:")
    print(f"  clone template schema:                  {clone:8.3f} s")
    print(f"  run migrations (Django's migrate):      {migrate:8.3f} s")
    print(f"  run migrations (shared-only fast path): {migrate_fast:8.3f} s")
    print(f"  ratio migrate / clone:                  {migrate / clone:8.1f}x")
    print(f"  ratio migrate (fast path) / clone:      {migrate_fast / clone:8.1f}x")
    print(f"migrate_schemas over {tenants} up-to-date tenant schemas (and the template):")
    print(f"  with the tenant fast path:              {noop_fast:8.3f} s")
    print(f"  with Django's migrate in each schema:   {noop_django:8.3f} s")
    print(f"  ratio:                                  {noop_django / noop_fast:8.1f}x")


if __name__ == "__main__":
    main()

"""`migrate` is `migrate_schemas` in a schema-per-tenant database (as django-tenants has it)."""

from loginexus.tenancy.management.commands.migrate_schemas import Command  # noqa: F401

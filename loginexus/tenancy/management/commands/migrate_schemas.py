"""migrate_schemas that also migrates the template schema and then checks it."""

from django.core.management import CommandError
from django.db import connection
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors.base import run_migrations
from django_tenants.utils import get_public_schema_name

from loginexus.tenancy.template import template_problems, template_schema_name


class Command(MigrateSchemasCommand):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        whole_database = self.schema_name in (None, get_public_schema_name())
        if not (self.sync_tenant and whole_database) or options.get("app_label"):
            return
        template = template_schema_name()
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{template}"')
        run_migrations(self.args, self.options, "template", template)
        if options.get("fake") or options.get("plan") or options.get("check_unapplied"):
            return
        problems = template_problems()
        if problems:
            raise CommandError("\n".join(problems))

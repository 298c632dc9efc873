"""Table listing (what migrations ask before they run) gives Django's answer in every schema."""

import pytest
from django.db import connection
from django_tenants.postgresql_backend.introspection import DatabaseSchemaIntrospection
from django_tenants.utils import schema_context

pytestmark = pytest.mark.django_db


def listings() -> tuple[list, list]:
    """Ours, and django-tenants' (Django's query on the connection's schema alone)."""
    with connection.cursor() as cursor:
        ours = connection.introspection.get_table_list(cursor)
        theirs = DatabaseSchemaIntrospection.get_table_list(connection.introspection, cursor)
    return sorted(ours), sorted(theirs)


@pytest.mark.parametrize("schema", ["tenant", "public"])
def test_tables_listed_are_those_of_the_schema_alone(schema, tenant_a, tenant_b):
    name = tenant_a.schema_name if schema == "tenant" else "public"
    with schema_context(name), connection.cursor() as cursor:
        cursor.execute("CREATE VIEW listing_probe AS SELECT 1 AS one")
        cursor.execute("CREATE TEMPORARY TABLE listing_scratch (one int)")
        cursor.execute("COMMENT ON VIEW listing_probe IS 'a probe'")
        ours, theirs = listings()

    assert ours == theirs
    names = {table.name for table in ours}
    assert {"listing_probe", "listing_scratch", "django_migrations"} <= names
    assert ("shipments_shipment" in names) == (schema == "tenant")
    assert ("tenancy_tenant" in names) == (schema == "public")
    assert ("listing_probe", "v", "a probe") in ours

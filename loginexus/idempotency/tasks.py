"""Celery tasks of Idempotency-Key handling: the hourly purge of answers past their time."""

from celery import shared_task
from django_tenants.utils import get_public_schema_name, schema_context

from loginexus.celery import PublicSchemaTask
from loginexus.idempotency.services import idempotent_requests_purge
from loginexus.tenancy.models import Tenant


@shared_task(base=PublicSchemaTask)
def idempotent_requests_purge_task() -> int:
    """Each workspace's schema in turn (the template's holds none); returns how many went."""
    deleted = 0
    schemas = Tenant.objects.exclude(schema_name=get_public_schema_name()).values_list(
        "schema_name", flat=True
    )
    for schema_name in schemas:
        with schema_context(schema_name):
            deleted += idempotent_requests_purge()
    return deleted

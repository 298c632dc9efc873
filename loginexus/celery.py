"""The Celery app: Redis broker, tasks run in the schema they were sent from (or in public)."""

import os

from celery.signals import task_postrun, task_prerun
from tenant_schemas_celery.app import CeleryApp
from tenant_schemas_celery.task import TenantTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loginexus.settings")

app = CeleryApp("loginexus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect(dispatch_uid="loginexus_database_sessions_before")
@task_postrun.connect(dispatch_uid="loginexus_database_sessions_after")
def database_sessions_follow_django(sender=None, **_) -> None:
    """A task's database session lives as long as a request's: Django's CONN_MAX_AGE, and one
    that failed or is too old is closed. (Celery's Django fixup would close it around every task,
    so each task would start a PostgreSQL session of its own, its caches cold; settings'
    CELERY_DB_REUSE_MAX keeps it from doing so.) A task run eagerly, in its caller's thread and
    transaction, leaves the caller's session alone."""
    from django.db import close_old_connections

    if sender is None or getattr(sender.request, "is_eager", False):
        return

    close_old_connections()


class PublicSchemaTask(TenantTask):
    """A task of the public schema, whichever schema sends it: the worker never switches to the
    sender's tenant schema, which may be gone by the time the task runs."""

    abstract = True

    def apply_async(self, args=None, kwargs=None, **options):
        # Imported here: django_tenants.utils reads the settings when it is imported.
        from django_tenants.utils import get_public_schema_name

        headers = {**(options.pop("headers", None) or {}), "_schema_name": get_public_schema_name()}
        return super().apply_async(args, kwargs, headers=headers, **options)

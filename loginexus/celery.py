"""The Celery app: Redis broker, tasks run in the schema they were sent from (or in public)."""

import os

from tenant_schemas_celery.app import CeleryApp
from tenant_schemas_celery.task import TenantTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loginexus.settings")

app = CeleryApp("loginexus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class PublicSchemaTask(TenantTask):
    """A task of the public schema, whichever schema sends it: the worker never switches to the
    sender's tenant schema, which may be gone by the time the task runs."""

    abstract = True

    def apply_async(self, args=None, kwargs=None, **options):
        # Imported here: django_tenants.utils reads the settings when it is imported.
        from django_tenants.utils import get_public_schema_name

        headers = {**(options.pop("headers", None) or {}), "_schema_name": get_public_schema_name()}
        return super().apply_async(args, kwargs, headers=headers, **options)

"""The Celery app: Redis broker, tasks able to run inside a tenant's schema."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loginexus.settings")

app = CeleryApp("loginexus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

"""LogiNexus: a multi-tenant Django monolith for logistics companies."""

from loginexus.celery import app as celery_app

__all__ = ["celery_app"]

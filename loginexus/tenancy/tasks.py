"""Celery tasks of tenancy: take plain values, call a service."""

from celery import shared_task

from loginexus.celery import PublicSchemaTask
from loginexus.tenancy.services import workspaces_find_send


@shared_task(base=PublicSchemaTask)
def workspaces_find_task(email: str) -> bool:
    return workspaces_find_send(email=email)

"""Reads of the audit log: newest first, filtered."""

from datetime import datetime

from django.db.models import QuerySet
from django_tenants.utils import schema_context

from loginexus.audit.models import AuditEntry


def audit_entries(
    *,
    action: str | None = None,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.all()
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(actor__iexact=actor)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if since:
        entries = entries.filter(at__gte=since)
    if until:
        entries = entries.filter(at__lt=until)
    return entries


def audit_latest(*, tenant, count: int = 25) -> list[AuditEntry]:
    """A workspace's latest entries, read from its schema (for platform staff's tenant page)."""
    with schema_context(tenant.schema_name):
        return list(AuditEntry.objects.order_by("-at", "-id")[:count])

"""The one write of the audit log, called by the services whose writes it records."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from loginexus.audit.context import current_actor
from loginexus.audit.models import AuditEntry


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def audit_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """{field: [old, new]} for the fields whose value differs."""
    return {
        name: [_plain(before.get(name)), _plain(value)]
        for name, value in after.items()
        if _plain(before.get(name)) != _plain(value)
    }


def audit_record(
    *,
    action: str,
    object_type: str,
    object_id: Any = "",
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record a write in the current schema's log, in the caller's transaction (a write rolled
    back leaves no entry)."""
    actor, user_id, address = current_actor()
    return AuditEntry.objects.create(
        actor=actor,
        actor_user_id=user_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        ip=address,
        changes=changes or {},
    )

"""Language and time zone outside a request: an email is written in its recipient's language
and the workspace's time zone (PRODUCT.md, "Languages and time")."""

import zoneinfo
from contextlib import contextmanager

from django.utils import timezone, translation


def recipient_language(person=None, workspace=None) -> str | None:
    """The person's chosen language, else the workspace's; None keeps the active one."""
    return (getattr(person, "language", "") or getattr(workspace, "language", "")) or None


def recipient_time_zone(person=None, workspace=None) -> str:
    return getattr(person, "time_zone", "") or getattr(workspace, "time_zone", "") or "UTC"


@contextmanager
def written_for(person=None, workspace=None, *, language: str | None = None):
    """Render inside: the recipient's language (or `language`) and time zone."""
    try:
        zone = zoneinfo.ZoneInfo(recipient_time_zone(person, workspace))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    chosen = language or recipient_language(person, workspace) or translation.get_language()
    with translation.override(chosen), timezone.override(zone):
        yield

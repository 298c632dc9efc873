"""Rules for a tenant's slug: a DNS label that names no reserved host."""

import re

from django.core.exceptions import ValidationError

SLUG_MAX_LENGTH = 40
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "assets", "billing", "cdn", "dashboard", "docs", "help", "mail",
        "media", "public", "root", "signup", "smtp", "static", "status", "stripe", "support",
        "template", "tenant", "test", "www",
    }
)  # fmt: skip
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


def validate_tenant_slug(value: str) -> None:
    if len(value) < 3:
        raise ValidationError("Use at least 3 characters.", code="too_short")
    if len(value) > SLUG_MAX_LENGTH:
        raise ValidationError(f"Use at most {SLUG_MAX_LENGTH} characters.", code="too_long")
    if not _DNS_LABEL.match(value):
        raise ValidationError(
            "Use lowercase letters, digits and hyphens; start and end with a letter or digit.",
            code="invalid",
        )
    if "--" in value:
        raise ValidationError("Do not use two hyphens in a row.", code="invalid")
    if value in RESERVED_SLUGS:
        raise ValidationError(f'"{value}" is reserved; choose another.', code="reserved")


def schema_name_for_slug(slug: str) -> str:
    """Schema names cannot hold hyphens; the prefix keeps them apart from PostgreSQL's own."""
    return "t_" + slug.replace("-", "_")

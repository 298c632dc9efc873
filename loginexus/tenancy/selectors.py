"""Reads about tenants: their URLs and host names, and the workspaces an address belongs to."""

from django.conf import settings
from django.db import connection
from django_tenants.utils import get_public_schema_name

from loginexus.accounts.addresses import email_key
from loginexus.tenancy.models import Tenant


def tenant_host(*, slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def tenant_address(*, slug: str, scheme: str | None = None, port: str | int | None = None) -> str:
    """The host and port a workspace is served on, as people type it ("acme.localhost:8000");
    scheme and port default to where the platform is served (settings), never to what a
    request's Host header says."""
    scheme = scheme or settings.SITE_SCHEME
    port = port if port is not None else settings.SITE_PORT
    default_port = {"http": "80", "https": "443"}[scheme]
    port_part = f":{port}" if port and str(port) != default_port else ""
    return f"{tenant_host(slug=slug)}{port_part}"


def tenant_url(*, tenant: Tenant, scheme: str | None = None, port: str | int | None = None) -> str:
    """The tenant's home URL (see `tenant_address`)."""
    scheme = scheme or settings.SITE_SCHEME
    return f"{scheme}://{tenant_address(slug=tenant.slug, scheme=scheme, port=port)}/"


def workspaces_of(*, email: str) -> list[Tenant]:
    """The workspaces (not suspended) where `email` names an active account: one statement over
    every tenant schema's users, matched by the normalised address as login matches it."""
    tenants = list(
        Tenant.objects.exclude(schema_name=get_public_schema_name())
        .filter(suspended_at__isnull=True)
        .order_by("name")
    )
    if not tenants:
        return []
    quote = connection.ops.quote_name
    branches = [
        f"SELECT {int(tenant.pk)} FROM {quote(tenant.schema_name)}.accounts_user"  # noqa: S608
        " WHERE email_key = %s AND is_active"
        for tenant in tenants
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(branches), [email_key(email)] * len(branches))
        found = {row[0] for row in cursor.fetchall()}
    return [tenant for tenant in tenants if tenant.pk in found]

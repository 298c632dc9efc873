"""Reads about tenants: their URLs and host names."""

from django.conf import settings

from loginexus.tenancy.models import Tenant


def tenant_host(*, slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def tenant_url(*, tenant: Tenant, scheme: str | None = None, port: str | int | None = None) -> str:
    """The tenant's home URL; scheme and port default to where the platform is served
    (settings), never to what a request's Host header says."""
    scheme = scheme or settings.SITE_SCHEME
    port = port if port is not None else settings.SITE_PORT
    default_port = {"http": "80", "https": "443"}[scheme]
    port_part = f":{port}" if port and str(port) != default_port else ""
    return f"{scheme}://{tenant_host(slug=tenant.slug)}{port_part}/"

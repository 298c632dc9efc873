"""Integrator fixtures: workspace API keys made through the service, and clients holding them."""

from django.test import Client
from django_tenants.utils import schema_context

from loginexus.apikeys.models import Scope
from loginexus.apikeys.services import api_key_create
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.selectors import tenant_host
from tests.conftest import admin_of

ALL_SCOPES = list(Scope.values)


def new_key(tenant: Tenant, scopes=None, **fields):
    """A key of `tenant` made by its (verified) admin: (the ApiKey, the key)."""
    with schema_context(tenant.schema_name):
        created = api_key_create(
            name=fields.pop("name", "ERP sync"),
            scopes=ALL_SCOPES if scopes is None else scopes,
            created_by=fields.pop("created_by", None) or admin_of(tenant),
            **fields,
        )
    return created.api_key, created.key


def key_client(tenant: Tenant, key: str, *, host: str | None = None) -> Client:
    return Client(
        HTTP_HOST=host or tenant_host(slug=tenant.slug), HTTP_AUTHORIZATION=f"Bearer {key}"
    )

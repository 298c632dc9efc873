"""Tenant hosts: the tenant's entitlement on the request, read at most once per request."""

from django.db import connection
from django.utils.functional import SimpleLazyObject
from django_tenants.utils import get_public_schema_name

from billing.selectors import entitlement_get


class EntitlementMiddleware:
    """Puts `request.entitlement` (lazily, one indexed query) on tenant hosts. A limit refused
    below this middleware becomes its 402 answer in `loginexus.middleware` (pages) and in the
    API's exception handler (JSON), from the same `PlanLimitExceeded`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(connection, "tenant", None)
        if tenant is not None and tenant.schema_name != get_public_schema_name():
            request.entitlement = SimpleLazyObject(lambda: entitlement_get(tenant=tenant))
        return self.get_response(request)

"""Tenant hosts of a suspended tenant answer with a suspended page (or its JSON on the API)."""

from django.http import JsonResponse
from django.shortcuts import render

from loginexus.tenancy.models import Tenant

SUSPENDED = {
    "detail": "This workspace is suspended. Contact LogiNexus support to restore access.",
    "code": "tenant_suspended",
}


class SuspendedTenantMiddleware:
    """Right after the tenant is known: nothing of a suspended tenant is served, not even its
    login page, while its data stays untouched. Health checks still answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if (
            isinstance(tenant, Tenant)
            and tenant.is_suspended
            and not request.path.startswith("/healthz")
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(SUSPENDED, status=403)
            return render(request, "tenancy/suspended.html", {"tenant": tenant}, status=403)
        return self.get_response(request)

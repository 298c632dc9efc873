"""Who may do what on a tenant host: tenant admins versus members."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class IsTenantAdmin(BasePermission):
    message = _("Only the workspace's admins can do this.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_tenant_admin)


def tenant_admin_required(view):
    """Pages for tenant admins: anonymous visitors go to login, members get 403."""

    @login_required
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_tenant_admin:
            raise PermissionDenied(gettext("Only the workspace's admins can open this page."))
        return view(request, *args, **kwargs)

    return guarded

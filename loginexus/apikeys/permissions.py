"""What an API key may do: each view names the scope each HTTP method needs
(`api_key_scopes`), and HasApiKeyScope refuses a key without it (403 insufficient_scope).
Users' tokens and sessions are not concerned: their role decides, as before."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from loginexus.apikeys.models import ApiKey

READ_METHODS = ("GET", "HEAD", "OPTIONS")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def read_write_scopes(resource: str) -> dict[str, str]:
    """`<resource>:read` to read, `<resource>:write` for every change."""
    return {
        **dict.fromkeys(READ_METHODS, f"{resource}:read"),
        **dict.fromkeys(WRITE_METHODS, f"{resource}:write"),
    }


def read_scopes(resource: str) -> dict[str, str]:
    """Reads only: a key can never make the changes."""
    return dict.fromkeys(READ_METHODS, f"{resource}:read")


class InsufficientScope(PermissionDenied):
    default_code = "insufficient_scope"


class HasApiKeyScope(BasePermission):
    """In DEFAULT_PERMISSION_CLASSES; views with permissions of their own list it to let keys in."""

    def has_permission(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True
        required = getattr(view, "api_key_scopes", {}).get(request.method)
        if required is None:
            raise InsufficientScope(_("API keys cannot use this endpoint."))
        if required not in api_key.scopes:
            raise InsufficientScope(
                _("This API key lacks the scope %(scope)s.") % {"scope": required}
            )
        return True


class IsApiKey(BasePermission):
    """For `IsTenantAdmin | IsApiKey`: what admins may read, a key with the scope may too."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey)

"""The API key as an OpenAPI security scheme (HTTP bearer), required only where keys are let in."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from loginexus.apikeys.permissions import HasApiKeyScope


def scope_required(view, method: str) -> str | None:
    """The scope a key needs for `method` on `view`, or None where no key is let in."""
    if not any(isinstance(permission, HasApiKeyScope) for permission in view.get_permissions()):
        return None
    return getattr(view, "api_key_scopes", {}).get(method.upper())


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "loginexus.apikeys.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A workspace API key (`lnx_…`), made by an admin on "
            "/settings/api-keys/ or `POST /api/v1/api-keys/`, with the scopes it grants. Each "
            "operation names the scope it needs; a key without it answers 403 "
            "`insufficient_scope`. Past API_KEY_RATE requests a key answers 429 with "
            "Retry-After.",
        }

    def get_security_requirement(self, auto_schema):
        if scope_required(auto_schema.view, auto_schema.method) is None:
            return None
        return {self.name: []}

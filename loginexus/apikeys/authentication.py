"""`Authorization: Bearer <key>`: a workspace API key, in the REST API only.

Keys are counted against API_KEY_RATE as they authenticate (429 with Retry-After past it), and
a key authenticates only on views that check its scopes (HasApiKeyScope): a view that does
not, such as the team's, the invitations', the keys' own or billing's writes, refuses every key
with 403 insufficient_scope, whatever its own permissions would say."""

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from loginexus.apikeys.models import ApiKeyActor
from loginexus.apikeys.permissions import HasApiKeyScope, InsufficientScope
from loginexus.apikeys.rate import api_key_request_counted
from loginexus.apikeys.selectors import api_key_for
from loginexus.apikeys.services import api_key_used

KEYWORD = b"bearer"


class ApiKeyRateLimited(exceptions.Throttled):
    default_code = "rate_limited"


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != KEYWORD:
            return None
        if len(words) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the API key as `Authorization: Bearer <key>`.")
            )
        if connection.schema_name == get_public_schema_name():
            return None  # keys are a workspace's: the public host knows none
        try:
            key = words[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from None
        api_key = api_key_for(key=key)
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        now = timezone.now()
        if api_key.expires_at is not None and api_key.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                _("This API key has expired."), code="api_key_expired"
            )
        retry_after = api_key_request_counted(prefix=api_key.prefix)
        if retry_after is not None:
            raise ApiKeyRateLimited(wait=retry_after)
        view = (request.parser_context or {}).get("view")
        if view is None or not any(isinstance(p, HasApiKeyScope) for p in view.get_permissions()):
            raise InsufficientScope(_("API keys cannot use this endpoint."))
        api_key_used(api_key=api_key, now=now)
        return ApiKeyActor(api_key), api_key

    def authenticate_header(self, request) -> str:
        return "Bearer"

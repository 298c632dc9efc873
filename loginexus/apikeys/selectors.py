"""Reads of API keys: the workspace's live keys, and the key a request presents."""

import hmac

from django.db.models import QuerySet

from loginexus.apikeys.models import ApiKey
from loginexus.apikeys.services import KEY_START, PREFIX_LENGTH, key_hash


def api_key_list() -> QuerySet[ApiKey]:
    """The keys not revoked (expired ones too: they say they expired), newest first."""
    return ApiKey.objects.filter(revoked_at__isnull=True).order_by("-created_at", "-id")


def api_key_for(*, key: str) -> ApiKey | None:
    """The live key `key` is, or None; found by its prefix, its hash compared in constant time.
    Expired keys are returned: the caller says why they are refused."""
    if not key.startswith(KEY_START) or key[PREFIX_LENGTH : PREFIX_LENGTH + 1] != "_":
        return None
    api_key = (
        ApiKey.objects.filter(prefix=key[:PREFIX_LENGTH], revoked_at__isnull=True)
        .only("id", "prefix", "secret_hash", "scopes", "last_used_at", "expires_at")
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.secret_hash, key_hash(key)):
        return None
    return api_key

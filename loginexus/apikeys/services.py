"""Writes of API keys: create (the key is returned once, only its hash kept), revoke, and the
cheap record of when a key was last used."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from loginexus.accounts.models import User
from loginexus.accounts.services import email_verified_required
from loginexus.apikeys.models import ApiKey
from loginexus.audit.services import audit_record

KEY_START = "lnx_"
PREFIX_LENGTH = len(KEY_START) + 8
# last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def key_hash(key: str) -> str:
    """SHA-256 of the whole key: its secret part has 256 bits, so no slow hash is needed."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    api_key: ApiKey
    key: str  # shown once, in the answer to its creation


def api_key_create(
    *, name: str, scopes: list[str], created_by: User, expires_at: datetime | None = None
) -> NewApiKey:
    """Only verified admins make keys (403 email_unverified otherwise)."""
    email_verified_required(user=created_by, action="create API keys")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": [_("A key's expiry must be in the future.")]})
    for _attempt in range(5):  # a clash of 32 random bits is rare; another prefix settles it
        prefix = KEY_START + secrets.token_hex(4)
        key = f"{prefix}_{secrets.token_urlsafe(32)}"
        api_key = ApiKey(
            name=name,
            prefix=prefix,
            secret_hash=key_hash(key),
            scopes=sorted(set(scopes)),
            created_by=created_by,
            expires_at=expires_at,
        )
        api_key.full_clean(exclude=["prefix"])
        try:
            with transaction.atomic():
                api_key.save()
        except IntegrityError:
            if not ApiKey.objects.filter(prefix=prefix).exists():
                raise
            continue
        audit_record(
            action="api_key.created",
            object_type="api_key",
            object_id=api_key.pk,
            changes={"name": [None, name], "prefix": [None, prefix], "scopes": [None, scopes]},
        )
        return NewApiKey(api_key=api_key, key=key)
    raise RuntimeError("No free API key prefix after 5 tries")


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoked at once: the next request with the key is refused. The row stays, so what the
    key did can still be told apart."""
    revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    api_key.refresh_from_db()
    if revoked:
        audit_record(
            action="api_key.revoked",
            object_type="api_key",
            object_id=api_key.pk,
            changes={"prefix": [api_key.prefix, api_key.prefix]},
        )
    return api_key


def api_key_used(*, api_key: ApiKey, now: datetime | None = None) -> None:
    """Record a use, at most once per LAST_USED_RESOLUTION per key: the key as read says when
    it was last recorded, and the UPDATE's condition lets one of concurrent requests through."""
    now = now or timezone.now()
    stale = now - LAST_USED_RESOLUTION
    if api_key.last_used_at is not None and api_key.last_used_at >= stale:
        return
    ApiKey.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=api_key.pk
    ).update(last_used_at=now)
    api_key.last_used_at = now

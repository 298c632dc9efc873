"""Standard Webhooks signing: `whsec_` secrets and the `webhook-signature` header, i.e. `v1,` and
the base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>" keyed by the secret's
base64-decoded part, one such entry per secret, separated by spaces."""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(
    *, secrets: Iterable[str], message_id: str, timestamp: int, body: bytes
) -> str:
    return " ".join(
        signature(secret=secret, message_id=message_id, timestamp=timestamp, body=body)
        for secret in secrets
    )

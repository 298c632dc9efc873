"""Writes of Idempotency-Key handling: claim a key for a request, store its answer, purge old
ones. The claim and the answer are made in the transaction that runs the request: a request
that fails (5xx) or dies leaves nothing, and a concurrent request with the same key waits on the
unique index until the first one is done, then gets its answer."""

import hashlib
import json
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from loginexus.idempotency.models import IdempotentRequest

TABLE = IdempotentRequest._meta.db_table


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    """SHA-256 of the method, the path and the body: a JSON body in canonical form (keys sorted,
    no spaces), so that the same data sent differently is the same request."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (ValueError, RecursionError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), b"\n", path.encode(), b"\n", canonical):
        digest.update(part)
    return digest.hexdigest()


def kept_since(now: datetime) -> datetime:
    return now - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def idempotent_request_claim(
    *, credential: str, key: str, request_hash: str, now: datetime | None = None
) -> tuple[int | None, IdempotentRequest | None]:
    """(id, None) when this request now holds the key: run it, then store its answer with
    idempotent_request_answer in the same transaction. (None, first) when the key already
    answered a request within IDEMPOTENCY_KEY_HOURS: `first` holds its hash and its answer.

    One statement on the way in: the insert, or the renewal of a row past its time."""
    if not connection.in_atomic_block:
        raise RuntimeError("Claim a key inside the transaction that runs the request")
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} AS kept"  # noqa: S608  (the table is our model's)
            " (credential, key, request_hash, created_at, status, content_type, body)"
            " VALUES (%s, %s, %s, %s, NULL, '', ''::bytea)"
            " ON CONFLICT (credential, key) DO UPDATE SET request_hash = EXCLUDED.request_hash,"
            " created_at = EXCLUDED.created_at, status = NULL, content_type = '', body = ''::bytea"
            " WHERE kept.created_at < %s"
            " RETURNING id",
            [credential, key, request_hash, now, kept_since(now)],
        )
        row = cursor.fetchone()
    if row is not None:
        return row[0], None
    return None, IdempotentRequest.objects.get(credential=credential, key=key)


def idempotent_request_answer(
    *, claim_id: int, status: int, content_type: str, body: bytes
) -> None:
    """Store the answer of the request that holds the claim (inside its transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET status = %s, content_type = %s, body = %s WHERE id = %s",  # noqa: S608
            [status, content_type, body, claim_id],
        )


@transaction.atomic
def idempotent_requests_purge(*, now: datetime | None = None) -> int:
    """Delete the connection's schema's keys past their time; returns how many."""
    deleted, _ = IdempotentRequest.objects.filter(
        created_at__lt=kept_since(now or timezone.now())
    ).delete()
    return deleted

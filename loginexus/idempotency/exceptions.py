"""Errors of Idempotency-Key handling."""

from loginexus.exceptions import ApplicationError, Conflict


class IdempotencyKeyInvalid(ApplicationError):
    status = 400
    code = "idempotency_key_invalid"


class IdempotencyKeyReused(Conflict):
    """The key answered another request (another method, path or body) within 24 h."""

    code = "idempotency_key_reused"


class IdempotencyKeyInUse(Conflict):
    """Guard: a claimed key whose request has not answered (its transaction normally hides it)."""

    code = "idempotency_key_in_use"

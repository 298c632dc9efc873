"""Stripe's error shapes: exceptions the API raises and the JSON bodies they become."""

from __future__ import annotations

from typing import Any


class StripeApiError(Exception):
    """An error answered in Stripe's ``{"error": {...}}`` shape."""

    status = 400
    error_type = "invalid_request_error"
    # True for errors in a request's parameters, found before anything changed. Stripe keeps an
    # idempotent result only once an endpoint has begun executing, so such an answer is not
    # kept for its key and the corrected retry with the same key runs.
    validation = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = extra or {}

    def body(self, request_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.error_type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        if self.decline_code:
            error["decline_code"] = self.decline_code
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        error.update(self.extra)
        return {"error": error}


class InvalidRequest(StripeApiError):
    status = 400


class InvalidParameter(InvalidRequest):
    """A parameter Stripe refuses before executing anything: missing, of the wrong type or out
    of its enum."""

    validation = True


class MissingParam(InvalidParameter):
    def __init__(self, param: str) -> None:
        super().__init__(f"Missing required param: {param}.", code="parameter_missing", param=param)


class ResourceMissing(StripeApiError):
    status = 404

    def __init__(self, kind: str, object_id: str, param: str = "id") -> None:
        super().__init__(f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


class UnknownRoute(StripeApiError):
    status = 404

    def __init__(self, method: str, path: str) -> None:
        super().__init__(
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/."
        )


class AuthenticationFailed(StripeApiError):
    status = 401

    def __init__(self, message: str) -> None:
        super().__init__(message)


class CardDeclined(StripeApiError):
    status = 402
    error_type = "card_error"

    def __init__(
        self,
        *,
        charge_id: str | None = None,
        payment_method: Any = None,
        decline: tuple[str, str | None, str] | None = None,
    ) -> None:
        """``decline`` is the card's (code, decline_code, message); a generic decline without."""
        code, decline_code, message = decline or (
            "card_declined",
            "generic_decline",
            "Your card was declined.",
        )
        extra: dict[str, Any] = {}
        if charge_id:
            extra["charge"] = charge_id
        if payment_method is not None:
            extra["payment_method"] = payment_method
        super().__init__(message, code=code, decline_code=decline_code, extra=extra)


class IdempotencyMismatch(StripeApiError):
    status = 400
    error_type = "idempotency_error"

    def __init__(self, key: str) -> None:
        super().__init__(
            "Keys for idempotent requests can only be used with the same parameters they were "
            f"first used with. Try using a key other than '{key}' if you meant to execute a "
            "different request."
        )

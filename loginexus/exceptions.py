"""The one hierarchy of domain errors; each carries the HTTP status and code of its answer."""

from typing import Any


class ApplicationError(Exception):
    """A domain error the user can act on. `extra` is merged into the JSON answer."""

    status: int = 400
    code: str = "error"

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}

    def as_dict(self) -> dict[str, Any]:
        return {"detail": self.message, "code": self.code, **self.extra}


class ServiceUnavailable(ApplicationError):
    status = 503
    code = "service_unavailable"


class Conflict(ApplicationError):
    status = 409
    code = "conflict"


class IllegalTransition(Conflict):
    """A status change the object's state machine does not allow from where it stands."""

    code = "illegal_transition"

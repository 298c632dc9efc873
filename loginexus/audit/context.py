"""Who is acting and from where, for the services that record writes (which take no request):
the middleware keeps the current request in a context variable, and the actor is read from it
when a write is recorded (so DRF's authentication, which runs after the middleware, is seen)."""

from contextvars import ContextVar

from loginexus.clients import client_address

_request: ContextVar = ContextVar("audit_request", default=None)


class AuditContextMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def current_actor() -> tuple[str, int | None, str | None]:
    """(actor label, user id, client address) of the write being recorded."""
    request = _request.get()
    if request is None:
        return "system", None, None
    address = client_address(request) or None
    key = getattr(request, "auth", None)
    prefix = getattr(key, "prefix", None)
    if prefix:
        return f"api-key:{prefix}", None, address
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.email, user.pk, address
    return "anonymous", None, address

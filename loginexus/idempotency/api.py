"""`Idempotency-Key` on API POSTs: the view mixin that every view taking POST carries.

A POST with the header runs, after authentication, permissions and throttles, inside one
transaction that first claims the key for the credential (user or API key) and, once the view
has answered, stores the answer. A replay with the same key and the same request (method, path,
canonical body) within 24 h answers the stored answer again, status and body, with
`Idempotent-Replayed: true`, and runs nothing; the same key with another request answers 409
`idempotency_key_reused`. A second request with a key whose first request is still running
waits for it, then gets its answer. A 5xx answer is rolled back with everything the view wrote,
and not stored: the client may retry. Answers of 4xx are stored, as Stripe does."""

import json

from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _

from loginexus.apikeys.models import ApiKey
from loginexus.idempotency.exceptions import (
    IdempotencyKeyInUse,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
)
from loginexus.idempotency.models import MAX_KEY_LENGTH
from loginexus.idempotency.services import (
    idempotent_request_answer,
    idempotent_request_claim,
    request_fingerprint,
)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


class _StoredAnswer(Exception):
    """Raised once the key is found answered: the stored answer replaces the view's."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__("replay")
        self.response = response


def credential_of(request) -> str | None:
    if isinstance(request.auth, ApiKey):
        return f"api-key:{request.auth.pk}"
    if request.user is not None and request.user.is_authenticated and request.user.pk:
        return f"user:{request.user.pk}"
    return None


class Idempotent:
    """First among a view's bases, so its dispatch wraps DRF's."""

    # Fields of a 2xx answer never stored (a new secret): a replay shows them null.
    idempotency_unstored_fields: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST" or HEADER not in request.headers:
            return super().dispatch(request, *args, **kwargs)
        self.idempotency_claim = None
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if self.idempotency_claim is None:
                return response
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            if hasattr(response, "render"):
                response.render()
            idempotent_request_answer(
                claim_id=self.idempotency_claim,
                status=response.status_code,
                content_type=response.get("Content-Type", ""),
                body=self._stored_body(response),
            )
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        key = request.headers.get(HEADER) if request.method == "POST" else None
        credential = credential_of(request) if key is not None else None
        if credential is None:
            return
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise IdempotencyKeyInvalid(
                _("An %(header)s is 1 to %(count)s printable characters.")
                % {"header": HEADER, "count": MAX_KEY_LENGTH}
            )
        fingerprint = request_fingerprint(
            method=request.method, path=request.path, body=request.body
        )
        claim_id, first = idempotent_request_claim(
            credential=credential, key=key, request_hash=fingerprint
        )
        if claim_id is not None:
            self.idempotency_claim = claim_id
            return
        if first.request_hash != fingerprint:
            raise IdempotencyKeyReused(
                _(
                    "This %(header)s was used for another request in the last 24 hours; "
                    "use a new key for a new request."
                )
                % {"header": HEADER}
            )
        if first.status is None:  # never so once its transaction is over; kept as a guard
            raise IdempotencyKeyInUse(
                _("A request with this %(header)s is still running.") % {"header": HEADER}
            )
        replay = HttpResponse(
            bytes(first.body), status=first.status, content_type=first.content_type or None
        )
        replay[REPLAYED_HEADER] = "true"
        raise _StoredAnswer(replay)

    def handle_exception(self, exc):
        if isinstance(exc, _StoredAnswer):
            return exc.response
        return super().handle_exception(exc)

    def _stored_body(self, response) -> bytes:
        content = response.content
        if not self.idempotency_unstored_fields or not 200 <= response.status_code < 300:
            return content
        data = json.loads(content)
        for name in self.idempotency_unstored_fields:
            if name in data:
                data[name] = None
        return json.dumps(data).encode()

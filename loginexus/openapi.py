"""The API's OpenAPI generation (DEFAULT_SCHEMA_CLASS): drf-spectacular's, plus what every
operation shares: the scope an API key needs, the `Idempotency-Key` header on POSTs and the
answers those two add (403 insufficient_scope, 429 past a key's rate, 400 and 409 about the
idempotency key)."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from loginexus.api import ErrorSerializer, error_responses
from loginexus.apikeys.authentication import ApiKeyAuthentication
from loginexus.apikeys.schema import scope_required
from loginexus.idempotency.api import HEADER, Idempotent

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string of yours (a UUID is good), up to 255 characters. The "
    "first answer to a POST with it is kept 24 hours: the same request again (same body) "
    "gets that answer again, status and body, with `Idempotent-Replayed: true`, and "
    "nothing is created or counted twice; the key with another body answers 409 "
    "`idempotency_key_reused`. Per credential (user or API key).",
)

RATE_LIMITED = OpenApiResponse(
    ErrorSerializer,
    description="`rate_limited`: the API key made more than API_KEY_RATE requests; "
    "Retry-After says in how many seconds it may go on",
)


class AutoSchema(SpectacularAutoSchema):
    def _idempotent(self) -> bool:
        return self.method == "POST" and isinstance(self.view, Idempotent)

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        return [*parameters, IDEMPOTENCY_KEY] if self._idempotent() else parameters

    def get_description(self):
        description = super().get_description() or ""
        scope = scope_required(self.view, self.method)
        if scope is None:
            return description
        return f"{description}\n\nAPI keys need the scope `{scope}`.".strip()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        extra = {}
        # A key is counted, then refused where no scope lets it in: any operation that reads
        # keys may answer 429 or 403 to one.
        if any(isinstance(auth, ApiKeyAuthentication) for auth in self.view.get_authenticators()):
            extra.update({403: error_responses(403)[403], 429: RATE_LIMITED})
        if self._idempotent():
            extra.update({400: error_responses(400)[400], 409: error_responses(409)[409]})
        for status_code, response in extra.items():
            if str(status_code) not in responses:
                responses[str(status_code)] = self._get_response_for_code(
                    response, str(status_code), direction=direction
                )
        return responses

"""REST API plumbing shared by every app: domain errors and rate limits turned into answers."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django_ratelimit.exceptions import Ratelimited
from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from loginexus.exceptions import ApplicationError


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        # A model's full_clean() in a service: the same field errors a serializer gives.
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Ratelimited):
        return Response(
            {"detail": "Too many attempts. Wait a minute and try again.", "code": "rate_limited"},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    return drf_exception_handler(exc, context)


# The error answers every endpoint documents (PRODUCT.md, REST API).
ERROR_RESPONSES = {
    400: OpenApiResponse(description="Field errors: {field: [message]}"),
    401: OpenApiResponse(description="Not logged in (session) or no valid token"),
    403: OpenApiResponse(description="Not allowed for this user's role"),
    404: OpenApiResponse(description="No such object in this workspace"),
    409: OpenApiResponse(description="Conflicts with the object's state: {detail, code, allowed}"),
}

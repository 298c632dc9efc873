"""REST API plumbing shared by every app: domain errors and rate limits turned into answers, and
the error shapes every endpoint documents."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found
from django.views.defaults import server_error as server_error_page
from django_ratelimit.exceptions import Ratelimited
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from loginexus.apikeys.models import ApiKeyActor
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
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and isinstance(exc, drf_exceptions.APIException)
        and not isinstance(exc, DrfValidationError)
        and isinstance(response.data, dict)
        and isinstance(exc.get_codes(), str)
    ):
        # 401, 403, 404, 405, 415: the same {"detail", "code"} as our domain errors.
        response.data["code"] = exc.get_codes()
    return response


@contextmanager
def addressed_row(model, pk) -> Iterator:
    """The row an action's URL addresses, as a reference holding only its pk, for a service that
    reads the row itself under its lock: one read instead of a read here and another there. A pk
    that is not a number, or names no row, answers 404 as DRF's get_object() does."""
    try:
        reference = model(pk=int(pk))
    except (TypeError, ValueError) as error:
        raise Http404 from error
    try:
        yield reference
    except model.DoesNotExist as error:
        raise Http404 from error


def acting_user(request):
    """The person a request acts for, as services record them; None for a workspace API key,
    which acts for the workspace and is nobody's."""
    return None if isinstance(request.user, ApiKeyActor) else request.user


def server_error(request):
    """Django's 500 page for pages (the branded template); JSON under /api/."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "detail": "Something went wrong on our side. Please try again shortly.",
                "code": "server_error",
            },
            status=500,
        )
    return server_error_page(request)


def not_found(request, exception):
    """Django's 404 (an address no route matches) for pages; the API's JSON answer under /api/."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return page_not_found(request, exception)


class QueryParameters(serializers.Serializer):
    """A list's query parameters: one given blank is an error, like any other bad value (DRF
    would quietly ignore it)."""

    def to_internal_value(self, data):
        blank = {
            name: ["This field may not be blank."] for name in self.fields if data.get(name) == ""
        }
        if blank:
            raise DrfValidationError(blank)
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """Text that must arrive as a JSON string: DRF's CharField would take 3.5 as "3.5"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ErrorSerializer(serializers.Serializer):
    """The body of every error that is not about fields."""

    detail = serializers.CharField()
    code = serializers.CharField()


class ConflictSerializer(ErrorSerializer):
    """A 409: the object's state forbids the change. Illegal transitions name the allowed ones."""

    current = serializers.CharField(required=False, help_text="The object's status now")
    requested = serializers.CharField(required=False, help_text="The status asked for")
    allowed = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="The statuses the object may move to from its current one",
    )


# {field: [message]}; errors of the whole body under "non_field_errors".
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"reference": ["A shipment with this reference already exists."]},
}


class PlanLimitSerializer(ErrorSerializer):
    """A 402: the plan allows no more of this resource in the period."""

    resource = serializers.CharField()
    plan = serializers.CharField()
    limit = serializers.IntegerField()
    used = serializers.IntegerField()
    period_end = serializers.DateTimeField(allow_null=True)
    upgrade_url = serializers.URLField()


# A body that is not JSON at all answers {detail, code}; anything else wrong, field errors.
BAD_REQUEST = {
    "anyOf": [
        FIELD_ERRORS,
        {
            "type": "object",
            "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
            "required": ["detail", "code"],
        },
    ],
    "example": FIELD_ERRORS["example"],
}


_ERRORS = {
    400: OpenApiResponse(
        BAD_REQUEST, description="Field errors: {field: [message]}, or an unreadable body"
    ),
    401: OpenApiResponse(ErrorSerializer, description="Not logged in or no valid token"),
    402: OpenApiResponse(PlanLimitSerializer, description="The plan's limit is reached"),
    403: OpenApiResponse(
        ErrorSerializer,
        description="Not allowed for this user's role, or a session write without its CSRF token",
    ),
    404: OpenApiResponse(ErrorSerializer, description="No such object in this workspace"),
    409: OpenApiResponse(
        ConflictSerializer, description="Conflicts with the object's state: {detail, code, allowed}"
    ),
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an endpoint, by status (PRODUCT.md, REST API)."""
    return {status_code: _ERRORS[status_code] for status_code in statuses}


# The usual set, for endpoints that may answer any of them.
ERROR_RESPONSES = error_responses(400, 401, 403, 404, 409)

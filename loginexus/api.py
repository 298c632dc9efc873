"""REST API plumbing shared by every app: domain errors and rate limits turned into answers."""

from django_ratelimit.exceptions import Ratelimited
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from loginexus.exceptions import ApplicationError


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Ratelimited):
        return Response(
            {"detail": "Too many attempts. Wait a minute and try again.", "code": "rate_limited"},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    return drf_exception_handler(exc, context)

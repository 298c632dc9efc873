"""Errors of tenancy: signup that cannot proceed."""

from loginexus.exceptions import ApplicationError, ServiceUnavailable


class SignupUnavailable(ServiceUnavailable):
    code = "signup_unavailable"


class SlugTaken(ApplicationError):
    status = 400
    code = "slug_taken"

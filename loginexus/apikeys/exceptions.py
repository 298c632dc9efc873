"""Errors of API keys."""

from loginexus.exceptions import ApplicationError


class ApiKeyNotFound(ApplicationError):
    status = 404
    code = "not_found"

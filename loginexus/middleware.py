"""Page middleware: a domain error raised below a page becomes its answer (API errors are the
DRF exception handler's); answers about a logged-in user are never stored by a cache; the
admin's pages get the one relaxation of the Content Security Policy they need."""

from csp.constants import UNSAFE_INLINE
from django.conf import settings
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from loginexus.exceptions import ApplicationError


class ApplicationErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ApplicationError):
            return None
        return render(
            request,
            "error.html",
            {"error": exception, "status": exception.status},
            status=exception.status,
        )


class PrivateCacheMiddleware:
    """`Cache-Control: private, no-store` on every API answer and on every answer to a request
    that carries credentials (a session cookie or an Authorization header), unless the view said
    otherwise: neither the browser's disk nor a shared cache keeps a user's page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        if (
            request.path.startswith("/api/")
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or "HTTP_AUTHORIZATION" in request.META
        ):
            patch_cache_control(response, private=True, no_store=True)
        return response


class AdminStylesMiddleware:
    """Django's admin styles some elements inline (a <style> in the change list, style
    attributes), so its pages, and only they, may use inline styles; scripts stay strict."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            response._csp_update = {"style-src": [UNSAFE_INLINE]}
        return response

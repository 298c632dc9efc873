"""Page middleware: a domain error raised below a page becomes its answer (API errors are the
DRF exception handler's); answers about a logged-in user are never stored by a cache; the
admin's pages get the one relaxation of the Content Security Policy they need."""

from datetime import datetime

from csp.constants import UNSAFE_INLINE
from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext, gettext_lazy

from loginexus.exceptions import ApplicationError

# The page of the object a refused action was about, by the namespace of the action's URL.
OBJECT_PAGES = {
    "shipments": ("shipments:detail", gettext_lazy("Back to the shipment")),
    "escrows": ("escrows:detail", gettext_lazy("Back to the escrow")),
}


class ApplicationErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ApplicationError):
            return None
        back_url, back_label = back_link(request)
        return render(
            request,
            "error.html",
            {
                "error": exception,
                "status": exception.status,
                "period_end": _moment(exception.extra.get("period_end")),
                "back_url": back_url,
                "back_label": back_label,
            },
            status=exception.status,
        )


def back_link(request) -> tuple[str, str]:
    """Where the answer to a refused action leads back to: the object's page when the action was
    about one (its URL names the object's `pk`), else the dashboard."""
    match = getattr(request, "resolver_match", None)
    if match is not None and "pk" in match.kwargs and match.namespace in OBJECT_PAGES:
        name, label = OBJECT_PAGES[match.namespace]
        return reverse(name, kwargs={"pk": match.kwargs["pk"]}), str(label)
    return "/", gettext("Back to the dashboard")


def _moment(text) -> datetime | None:
    """A moment the error's JSON extra carries as ISO 8601 text ("…Z"), for the page."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


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

"""The language and time zone each request is served in (PRODUCT.md, "Languages and time").

Language: the signed-in person's stored choice, else the one picked with the switcher (a
cookie), else the browser's `Accept-Language`, else the workspace's language, else English.
Time zone: the person's, else the workspace's (default UTC).
"""

import zoneinfo

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

SUPPORTED = frozenset(code for code, _name in settings.LANGUAGES)


def _person(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def request_language(request, *, workspace: bool = True) -> str:
    person = _person(request)
    if person is not None and getattr(person, "language", "") in SUPPORTED:
        return person.language
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie in SUPPORTED:
        return cookie
    if request.META.get("HTTP_ACCEPT_LANGUAGE"):
        for code, _quality in translation.trans_real.parse_accept_lang_header(
            request.META["HTTP_ACCEPT_LANGUAGE"]
        ):
            if code == "*":
                break
            base = code.split("-")[0].lower()
            if base in SUPPORTED:
                return base
    tenant = getattr(connection, "tenant", None) if workspace else None
    return getattr(tenant, "language", "") or settings.LANGUAGE_CODE.split("-")[0]


def request_time_zone(request) -> str:
    person = _person(request)
    if person is not None and getattr(person, "time_zone", ""):
        return person.time_zone
    workspace = getattr(connection, "tenant", None)
    return getattr(workspace, "time_zone", "") or "UTC"


class LanguageAndTimeZoneMiddleware:
    """After authentication: activate the request's language and time zone for the view and
    its templates, and say which language the answer is in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            timezone.activate(zoneinfo.ZoneInfo(request_time_zone(request)))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        translation.deactivate()
        return response


class BrowserLanguageMiddleware:
    """First of all: the switcher's cookie or the browser's language, so that what is answered
    before a workspace or a person is known (an unknown host's 404, a suspended workspace's
    page) is in it too. LanguageAndTimeZoneMiddleware refines it once they are known."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        translation.activate(request_language(request, workspace=False))
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

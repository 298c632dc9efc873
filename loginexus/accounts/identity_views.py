"""django-allauth's pages where the product adds something: the login throttled like every way
in, and links that are unknown on this workspace's host answering 404 (a reset or verification
link of another workspace means nothing here)."""

import logging

from allauth.account import views as allauth_views
from django.contrib import admin
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from loginexus.accounts.throttling import login_throttled
from loginexus.clients import client_address

logger = logging.getLogger("loginexus.security")

# allauth's login page reads the address from the field `login`.
login = login_throttled(allauth_views.login, field="login")

# The platform admin's login (public host), throttled like the workspaces' logins.
staff_login = login_throttled(admin.site.login, field="username")


def no_signup(request):
    """Nobody signs up on a workspace's host: workspaces are made on the public host, and
    people join one by invitation."""
    raise Http404(_("Sign up on the platform's home page, or ask an admin for an invitation."))


def _not_found_when(view, failed):
    def guarded(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        context = getattr(response, "context_data", None) or {}
        if response.status_code == 200 and failed(context):
            response.status_code = 404
        return response

    guarded.__name__ = getattr(view, "__name__", "view")
    guarded.__doc__ = view.__doc__
    return guarded


password_reset_from_key = _not_found_when(
    allauth_views.password_reset_from_key, lambda context: context.get("token_fail")
)
confirm_email = _not_found_when(
    allauth_views.confirm_email, lambda context: context.get("confirmation") is None
)


def rate_limited(request, exception=None):
    """Answer of every rate-limited page (settings.RATELIMIT_VIEW)."""
    logger.warning(
        "rate limited: path=%s address=%s host=%s",
        request.path,
        client_address(request),
        request.get_host(),
    )
    return render(request, "accounts/rate_limited.html", status=429)

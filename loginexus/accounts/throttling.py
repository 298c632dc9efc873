"""Login throttling (django-ratelimit), shared by the login page and the token API: per client
address and per account, on each host (settings.LOGIN_RATE_PER_IP, LOGIN_RATE_PER_ACCOUNT)."""

from collections.abc import Mapping

from django.conf import settings
from django_ratelimit.decorators import ratelimit


def _rate(setting_name: str):
    return lambda group, request: getattr(settings, setting_name)


def login_account(group: str, request) -> str:
    """The account a login attempt names, in any spelling of its case (login ignores case): the
    login form's `username`, or the token API's JSON `email`."""
    data = getattr(request, "data", None)  # the API's parsed body
    if not isinstance(data, Mapping):
        data = request.POST
    named = data.get("email") or data.get("username") or ""
    return str(named).strip().lower()


# Per client address and per account, shared by the login page and the token API.
login_rate_limits = [
    ratelimit(key="ip", rate=_rate("LOGIN_RATE_PER_IP"), method="POST", group="login"),
    ratelimit(
        key=login_account, rate=_rate("LOGIN_RATE_PER_ACCOUNT"), method="POST", group="login"
    ),
]

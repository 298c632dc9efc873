"""Login throttling (django-ratelimit) of every way in: the tenant login page, the token API and
the platform admin's login. Per client address and per account, on each host
(settings.LOGIN_RATE_PER_IP, LOGIN_RATE_PER_ACCOUNT).

The account is read from the one field the endpoint authenticates with, and keyed by the same
normalised address that login looks the account up by (addresses.email_key), so neither a decoy
field nor another spelling of the address gets a fresh allowance."""

from collections.abc import Mapping

from django.conf import settings
from django_ratelimit.decorators import ratelimit

from loginexus.accounts.addresses import email_key


def rate_setting(setting_name: str):
    """A django-ratelimit rate read from settings at each request (so a change applies at once)."""
    return lambda group, request: getattr(settings, setting_name)


def _account_named_by(field: str):
    """The throttle key of the account a login attempt names in `field`: the form's `username`
    on the login pages, the JSON `email` on the token API."""

    def key(group: str, request) -> str:
        data = getattr(request, "data", None)  # the API's parsed body
        if not isinstance(data, Mapping):
            data = request.POST
        return email_key(str(data.get(field) or ""))

    return key


def login_rate_limits(field: str) -> list:
    """Per client address and per account, in one group shared by every login endpoint."""
    return [
        ratelimit(key="ip", rate=rate_setting("LOGIN_RATE_PER_IP"), method="POST", group="login"),
        ratelimit(
            key=_account_named_by(field),
            rate=rate_setting("LOGIN_RATE_PER_ACCOUNT"),
            method="POST",
            group="login",
        ),
    ]


def login_throttled(view, *, field: str):
    """A login view (a function) with the login limits applied."""
    for limit in reversed(login_rate_limits(field)):
        view = limit(view)
    return view

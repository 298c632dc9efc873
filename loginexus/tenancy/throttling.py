"""Throttling of the public host's "find my workspace": per client address and per address asked
about (settings.FIND_RATE_PER_IP, FIND_RATE_PER_EMAIL), so nobody floods an inbox with it."""

from collections.abc import Mapping

from django_ratelimit.decorators import ratelimit

from loginexus.accounts.addresses import email_key
from loginexus.accounts.throttling import rate_setting


def _asked_about(group: str, request) -> str:
    data = getattr(request, "data", None)
    if not isinstance(data, Mapping):
        data = request.POST
    return email_key(str(data.get("email") or ""))


find_rate_limits = [
    ratelimit(key="ip", rate=rate_setting("FIND_RATE_PER_IP"), method="POST", group="find"),
    ratelimit(
        key=_asked_about, rate=rate_setting("FIND_RATE_PER_EMAIL"), method="POST", group="find"
    ),
]

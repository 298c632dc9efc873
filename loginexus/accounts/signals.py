"""Every login attempt is logged (loginexus.security): who was named, from where, on which host,
and whether it worked. Passwords never reach the log (Django cleanses the credentials)."""

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from loginexus.accounts.addresses import email_key
from loginexus.clients import client_address

logger = logging.getLogger("loginexus.security")


def _where(request) -> tuple[str, str]:
    if request is None:  # a login made in code (a test's force_login, a shell)
        return "-", "-"
    # The Host header as sent: a real request reached here only after ALLOWED_HOSTS passed it.
    return client_address(request) or "-", request.META.get("HTTP_HOST", "-")


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    named = credentials.get("username") or credentials.get("email") or ""
    address, host = _where(request)
    logger.warning("login failed: account=%s address=%s host=%s", email_key(named), address, host)


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    address, host = _where(request)
    logger.info("login: account=%s address=%s host=%s", user.email_key, address, host)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is None:
        return
    address, host = _where(request)
    logger.info("logout: account=%s address=%s host=%s", user.email_key, address, host)

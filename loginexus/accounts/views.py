"""Login and logout pages of a tenant host, rate-limited per address and per account."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit


def _rate(setting_name: str):
    return lambda group, request: getattr(settings, setting_name)


login_rate_limits = [
    ratelimit(key="ip", rate=_rate("LOGIN_RATE_PER_IP"), method="POST", group="login"),
    ratelimit(
        key="post:username", rate=_rate("LOGIN_RATE_PER_ACCOUNT"), method="POST", group="login"
    ),
]


@method_decorator(login_rate_limits, name="post")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def rate_limited(request, exception=None):
    """Answer of every rate-limited page (settings.RATELIMIT_VIEW)."""
    return render(request, "accounts/rate_limited.html", status=429)

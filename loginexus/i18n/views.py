"""The language switcher in the header: a signed-in person's choice is stored on them (so their
emails follow it too); anybody's is kept in the language cookie."""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from loginexus.i18n.middleware import SUPPORTED


@require_POST
def language_switch(request):
    language = request.POST.get("language", "")
    target = request.POST.get("next") or request.headers.get("referer") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if language not in SUPPORTED:
        return response
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and hasattr(user, "language"):
        from loginexus.accounts.services import profile_update

        profile_update(user=user, language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
    return response

"""Pages of accounts that are the product's own: the signup's login link, an invitation's page
and the profile (the team's pages are in team_views)."""

from allauth.mfa.adapter import get_adapter as mfa_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from loginexus.accounts.forms import (
    InvitationAcceptForm,
    ProfileForm,
)
from loginexus.accounts.invitations import (
    invitation_accept,
    invitation_by_secret,
)
from loginexus.accounts.selectors import email_is_verified
from loginexus.accounts.services import (
    login_link_redeem,
    profile_update,
)
from loginexus.forms import errors_onto


@require_GET
def login_link(request, secret: str):
    """A one-time login link (the end of signup): signs its user in once, then means nothing."""
    user = login_link_redeem(secret=secret)
    if user is None:  # unknown here, used, or expired: the same answer for each
        return render(request, "accounts/login_link_invalid.html", status=404)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("dashboard")


def invitation(request, secret: str):
    """The invitation's link: choose a name and password, and arrive signed in."""
    invited = invitation_by_secret(secret=secret)
    if invited is None:  # unknown here, accepted, revoked or expired: the same answer
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(secret=secret, **form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            if user is None:
                return render(request, "accounts/invitation_invalid.html", status=404)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to %(name)s.") % {"name": request.tenant.name})
            return redirect("dashboard")
    return render(
        request,
        "accounts/invitation.html",
        {"form": form, "invitation": invited},
        status=400 if form.errors else 200,
    )


@login_required
def profile(request):
    """A person's own name, language and time zone."""
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={"name": user.name, "language": user.language, "time_zone": user.time_zone},
        workspace_time_zone=request.tenant.time_zone,
    )
    if request.method == "POST" and form.is_valid():
        profile_update(user=user, **form.cleaned_data)
        messages.success(request, _("Your profile is saved."))
        response = redirect("accounts:profile")
        # The stored choice wins over the switcher's cookie; "the browser's" forgets it.
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        return response
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "email_verified": email_is_verified(user=user),
            "two_factor": mfa_adapter().is_mfa_enabled(user),
        },
        status=400 if form.errors else 200,
    )

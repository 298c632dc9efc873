"""Pages of accounts that are the product's own: the signup's login link, an invitation's page,
the profile and the team."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from loginexus.accounts.forms import (
    InvitationAcceptForm,
    InvitationForm,
    ProfileForm,
    TeamMemberForm,
)
from loginexus.accounts.invitations import (
    invitation_accept,
    invitation_by_secret,
    invitation_create,
    invitation_list,
    invitation_resend,
    invitation_revoke,
)
from loginexus.accounts.models import Invitation, User
from loginexus.accounts.permissions import tenant_admin_required
from loginexus.accounts.selectors import user_list
from loginexus.accounts.services import (
    login_link_redeem,
    profile_update,
    user_create,
    user_update,
)


def errors_onto(form, error: ValidationError) -> None:
    """A service's field errors shown on the form's fields (the rest above the form)."""
    for field, problems in error.message_dict.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


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
            messages.success(request, f"Welcome to {request.tenant.name}.")
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
    )
    if request.method == "POST" and form.is_valid():
        profile_update(user=user, **form.cleaned_data)
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    return render(
        request, "accounts/profile.html", {"form": form}, status=400 if form.errors else 200
    )


@tenant_admin_required
def team(request):
    """The workspace's users: list, add, deactivate (admins only)."""
    form = TeamMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(**form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, f"{user.email} can now log in.")
            return redirect("team")
    return _team_page(request, form=form)


def _team_page(request, *, form=None, invite_form=None):
    form = form or TeamMemberForm()
    invite_form = invite_form or InvitationForm(prefix="invite")
    pending = [item for item in invitation_list() if item.status == "pending"]
    return render(
        request,
        "accounts/team.html",
        {"form": form, "invite_form": invite_form, "users": user_list(), "invitations": pending},
        status=400 if form.errors or invite_form.errors else 200,
    )


@tenant_admin_required
@require_POST
def team_invite(request):
    form = InvitationForm(request.POST, prefix="invite")
    if form.is_valid():
        try:
            invited = invitation_create(**form.cleaned_data, invited_by=request.user)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, f"An invitation is on its way to {invited.email}.")
            return redirect("team")
    return _team_page(request, invite_form=form)


@tenant_admin_required
@require_POST
def team_invitation_resend(request, pk: int):
    invited = invitation_resend(invitation=get_object_or_404(Invitation, pk=pk), actor=request.user)
    messages.success(request, f"The invitation to {invited.email} is sent again.")
    return redirect("team")


@tenant_admin_required
@require_POST
def team_invitation_revoke(request, pk: int):
    invited = invitation_revoke(invitation=get_object_or_404(Invitation, pk=pk))
    messages.success(request, f"The invitation to {invited.email} is revoked; its seat is free.")
    return redirect("team")


@tenant_admin_required
@require_POST
def team_deactivate(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    user_update(user=user, actor=request.user, is_active=False)
    messages.success(request, f"{user.email} can no longer log in.")
    return redirect("team")

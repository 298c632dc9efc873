"""The team page (admins): the workspace's people with their role and two-factor state, seats
used of the plan's, invitations (invite, resend, revoke), role changes, deactivation after a
confirmation, and reactivation (which takes a seat again)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.plans import Resource
from billing.selectors import seats_used
from loginexus.accounts.forms import InvitationForm, RoleForm, TeamMemberForm
from loginexus.accounts.invitations import (
    invitation_create,
    invitation_list,
    invitation_resend,
    invitation_revoke,
)
from loginexus.accounts.models import Invitation, Role, User
from loginexus.accounts.permissions import tenant_admin_required
from loginexus.accounts.selectors import email_is_verified, user_list
from loginexus.accounts.services import user_create, user_update
from loginexus.forms import errors_onto


@tenant_admin_required
def team(request):
    """The team; a POST adds a user with a password the admin chooses (inviting is the usual
    way: the person chooses their own)."""
    form = TeamMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(**form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, _("%(email)s can now log in.") % {"email": user.email})
            return redirect("team")
    return _team_page(request, form=form)


def _team_page(request, *, form=None, invite_form=None):
    form = form or TeamMemberForm()
    invite_form = invite_form or InvitationForm(prefix="invite")
    pending = [item for item in invitation_list() if item.status == "pending"]
    plan = request.entitlement.effective_plan(timezone.now())
    return render(
        request,
        "accounts/team.html",
        {
            "form": form,
            "invite_form": invite_form,
            "users": user_list(),
            "invitations": pending,
            "seats": {
                "used": seats_used(tenant=request.tenant),
                "limit": plan.limits[Resource.USERS],
            },
            "email_verified": email_is_verified(user=request.user),
            "roles": Role.choices,
        },
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
            messages.success(
                request, _("An invitation is on its way to %(email)s.") % {"email": invited.email}
            )
            return redirect("team")
    return _team_page(request, invite_form=form)


@tenant_admin_required
@require_POST
def team_invitation_resend(request, pk: int):
    invited = invitation_resend(invitation=get_object_or_404(Invitation, pk=pk), actor=request.user)
    messages.success(
        request, _("The invitation to %(email)s is sent again.") % {"email": invited.email}
    )
    return redirect("team")


@tenant_admin_required
@require_POST
def team_invitation_revoke(request, pk: int):
    invited = invitation_revoke(invitation=get_object_or_404(Invitation, pk=pk))
    messages.success(
        request,
        _("The invitation to %(email)s is revoked; its seat is free.") % {"email": invited.email},
    )
    return redirect("team")


@tenant_admin_required
def team_deactivate(request, pk: int):
    """GET asks to confirm and says what will happen; POST deactivates."""
    member = get_object_or_404(User, pk=pk)
    if request.method != "POST":
        return render(request, "accounts/team_deactivate.html", {"member": member})
    user_update(user=member, actor=request.user, is_active=False)
    messages.success(request, _undo_message(request, member))
    return redirect("team")


def _undo_message(request, member: User) -> str:
    """What the deactivation did, with a button that undoes it (reactivation)."""
    done = _(
        "%(email)s is deactivated: they are logged out everywhere, their API token no longer "
        "works and their seat is free."
    ) % {"email": member.email}
    return format_html(
        '{} <form method="post" action="{}" class="inline undo">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<button type="submit" class="link">{}</button></form>',
        done,
        reverse("team-reactivate", args=[member.pk]),
        get_token(request),
        _("Undo: reactivate %(email)s") % {"email": member.email},
    )


@tenant_admin_required
@require_POST
def team_reactivate(request, pk: int):
    """A returning user takes a seat again (402 when the plan has none left) and logs in
    afresh: nothing of their old sessions or token comes back."""
    member = get_object_or_404(User, pk=pk)
    user_update(user=member, actor=request.user, is_active=True)
    messages.success(request, _("%(email)s can log in again.") % {"email": member.email})
    return redirect("team")


@tenant_admin_required
@require_POST
def team_role(request, pk: int):
    member = get_object_or_404(User, pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role: admin or member."))
        return redirect("team")
    member = user_update(user=member, actor=request.user, role=form.cleaned_data["role"])
    done = {
        Role.ADMIN: _("%(email)s is now an admin."),
        Role.MEMBER: _("%(email)s is now a member."),
    }[member.role]
    messages.success(request, done % {"email": member.email})
    return redirect("team")

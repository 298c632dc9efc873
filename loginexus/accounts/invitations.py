"""Invitations to a workspace: an admin invites an address with a role; the emailed link (valid
INVITATION_DAYS) lets the person choose a name and password and signs them in. A pending
invitation holds a seat, counted by the plan-limit check like a user; resend renews the link,
revoke ends it."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.selectors import current_tenant
from loginexus.accounts.addresses import email_key
from loginexus.accounts.exceptions import InvitationNotPending
from loginexus.accounts.models import Invitation, InvitationStatus, Role, User
from loginexus.accounts.services import (
    email_address_record,
    email_verified_required,
    user_update,
)
from loginexus.audit.services import audit_record
from loginexus.mail.services import email_send
from loginexus.tenancy.selectors import tenant_url


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def invitation_list() -> QuerySet[Invitation]:
    return Invitation.objects.select_related("invited_by").order_by("-created_at")


def _send(invitation: Invitation, secret: str) -> None:
    tenant = current_tenant()
    email_send(
        to=[invitation.email],
        template="invitation",
        tenant=tenant,
        # A deactivated user invited back reads it in their language; a new address in the
        # workspace's.
        person=User.objects.with_email(invitation.email).only("language", "time_zone").first(),
        context={
            "invitation": invitation,
            "inviter": invitation.invited_by.email if invitation.invited_by else "",
            "accept_url": f"{tenant_url(tenant=tenant)}accounts/invitation/{secret}/",
            "days": settings.INVITATION_DAYS,
        },
    )


@transaction.atomic
def invitation_create(*, email: str, role: str = Role.MEMBER, invited_by: User) -> Invitation:
    """Invite `email`; 400 when it is already an active user or already has a pending
    invitation; 402 (the seat check of the insert) when the plan has no seat left for it."""
    email_verified_required(user=invited_by, action="invite people")
    email = User.objects.normalize_email(email).lower()
    if User.objects.with_email(email).filter(is_active=True).exists():
        raise ValidationError({"email": [_("This address is already a user of this workspace.")]})
    invitation = Invitation(email=email, role=role, invited_by=invited_by)
    if Invitation.objects.filter(Invitation.pending_q(), email_key=email_key(email)).exists():
        raise ValidationError(
            {"email": [_("An invitation to this address is pending; resend it instead.")]}
        )
    secret = secrets.token_urlsafe(32)
    invitation.secret_hash = _hash(secret)
    invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_DAYS)
    invitation.full_clean(exclude=["email_key", "secret_hash"])
    invitation.save()  # counts the seat it holds (402 past the plan's limit)
    _send(invitation, secret)
    _audited(invitation, "invitation.created", email=[None, email], role=[None, role])
    return invitation


def _audited(invitation: Invitation, action: str, **changes) -> None:
    audit_record(action=action, object_type="invitation", object_id=invitation.pk, changes=changes)


def _pending(invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != "pending":
        raise InvitationNotPending(
            _("This invitation is %(status)s; only a pending one can change.")
            % {"status": InvitationStatus(invitation.status).label.lower()},
            current=invitation.status,
        )
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: User) -> Invitation:
    """A new link (the old one stops working) and a new expiry, emailed again."""
    email_verified_required(user=actor, action="invite people")
    invitation = _pending(invitation)
    secret = secrets.token_urlsafe(32)
    invitation.secret_hash = _hash(secret)
    invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_DAYS)
    invitation.save(update_fields=["secret_hash", "expires_at"])
    _send(invitation, secret)
    _audited(invitation, "invitation.resent", email=[invitation.email, invitation.email])
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    invitation = _pending(invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    _audited(invitation, "invitation.revoked", status=["pending", "revoked"])
    return invitation


def invitation_by_secret(*, secret: str) -> Invitation | None:
    """The pending invitation a link names, in this workspace; None otherwise."""
    invitation = Invitation.objects.filter(secret_hash=_hash(secret)).first()
    if invitation is None or invitation.status != "pending":
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, secret: str, name: str, password: str) -> User | None:
    """The invited person becomes a user with the invitation's role; the invitation's seat
    passes to them (it is marked accepted before the user is counted). None for a link that is
    not (or no longer) a pending invitation."""
    invitation = Invitation.objects.select_for_update().filter(secret_hash=_hash(secret)).first()
    if invitation is None or invitation.status != "pending":
        return None
    candidate = User(email=invitation.email, name=name, role=invitation.role)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    existing = User.objects.with_email(invitation.email).first()
    if existing is not None:  # a deactivated user comes back, with a new password
        if existing.is_active:
            raise ValidationError(
                {"email": [_("This address is already a user of this workspace.")]}
            )
        existing.set_password(password)
        existing.name = name or existing.name
        existing.save(update_fields=["password", "name"])
        user = user_update(user=existing, actor=existing, role=invitation.role, is_active=True)
    else:
        user = User.objects.create_user(invitation.email, password, role=invitation.role, name=name)
    Invitation.objects.filter(pk=invitation.pk).update(accepted_user=user)
    email_address_record(user=user, verified=True)  # the emailed link proved the address
    _audited(invitation, "invitation.accepted", status=["pending", "accepted"])
    return user

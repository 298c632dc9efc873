"""Writes of accounts on a tenant host: add a user to the team, change a role, deactivate (which
ends every session and token of theirs), revoke a token."""

import hashlib
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.models import Token

from billing.limits import plan_limit_reserve
from billing.plans import Resource
from loginexus.accounts.exceptions import EmailUnverified, LastAdmin
from loginexus.accounts.models import LoginLink, Role, Session, User
from loginexus.accounts.selectors import email_is_verified
from loginexus.audit.services import audit_changes, audit_record


@transaction.atomic
def user_create(*, email: str, password: str, role: str = Role.MEMBER) -> User:
    """The one way a tenant user is made (the signup's first admin, the team page, the API)."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.with_email(email).exists():
        raise ValidationError({"email": [_("A user with this email already exists.")]})
    candidate = User(email=email, role=role)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user = User.objects.create_user(email, password, role=role)
    email_address_record(user=user, verified=False)
    audit_record(
        action="user.created",
        object_type="user",
        object_id=user.pk,
        changes={"email": [None, user.email], "role": [None, user.role]},
    )
    return user


def email_address_record(*, user: User, verified: bool) -> EmailAddress:
    """The user's address as django-allauth keeps it (one, primary): verification, the address
    change and password reset read it."""
    address, _ = EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": verified}
    )
    return address


def email_verification_send(*, user: User, signup: bool = False) -> bool:
    """Email the user a link that verifies their address (on their workspace's host); False
    when it is verified already."""
    address = EmailAddress.objects.filter(user=user, email=user.email).first()
    if address is None:
        address = email_address_record(user=user, verified=False)
    if address.verified:
        return False
    address.send_confirmation(None, signup=signup)
    return True


_UNVERIFIED = {
    "invite people": gettext_lazy(
        "Verify your email address before you invite people: open the link we emailed you, "
        "or send it again from your email settings."
    ),
    "create API keys": gettext_lazy(
        "Verify your email address before you create API keys: open the link we emailed you, "
        "or send it again from your email settings."
    ),
}


def email_verified_required(*, user: User, action: str) -> None:
    """Refuse `action` (one of `_UNVERIFIED`; 403 email_unverified) while the user's address
    is not verified."""
    if not email_is_verified(user=user):
        raise EmailUnverified(str(_UNVERIFIED[action]))


@transaction.atomic
def user_update(
    *, user: User, actor: User, role: str | None = None, is_active: bool | None = None
) -> User:
    """Change a user's role or deactivate them; the workspace never loses its last admin."""
    user = User.objects.select_for_update().get(pk=user.pk)
    demoted = role is not None and role != Role.ADMIN and user.role == Role.ADMIN
    deactivated = is_active is False and user.is_active
    if (demoted or deactivated) and user.pk == actor.pk:
        raise LastAdmin(_("You cannot deactivate yourself or remove your own admin role."))
    if (demoted or deactivated) and user.role == Role.ADMIN:
        # Lock every admin row so two admins cannot remove each other at the same time.
        admins = list(User.objects.select_for_update().filter(role=Role.ADMIN, is_active=True))
        if len(admins) <= 1:
            raise LastAdmin(_("The workspace must keep at least one active admin."))
    if is_active and not user.is_active:
        plan_limit_reserve(resource=Resource.USERS)  # a returning user takes a seat again
    before = {"role": user.role, "is_active": user.is_active}
    if role is not None:
        user.role = role
    if is_active is not None:
        user.is_active = is_active
    changes = audit_changes(before, {"role": user.role, "is_active": user.is_active})
    user.full_clean(exclude=["password"])
    user.save()
    if changes:
        audit_record(action="user.updated", object_type="user", object_id=user.pk, changes=changes)
    if deactivated:
        # Access ends now, and coming back later means logging in again.
        user_access_end(user=user)
    return user


def user_access_end(*, user: User) -> None:
    """Delete every session and API token of the user (in the current schema)."""
    Session.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()


@transaction.atomic
def token_revoke(*, user: User) -> bool:
    """Delete the user's API token; False when there was none."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def login_link_create(*, user: User) -> str:
    """A one-time login link's secret for `user` (in the current schema), valid for
    LOGIN_LINK_SECONDS; only its hash is stored."""
    secret = secrets.token_urlsafe(32)
    LoginLink.objects.create(
        user=user,
        secret_hash=_secret_hash(secret),
        expires_at=timezone.now() + timedelta(seconds=settings.LOGIN_LINK_SECONDS),
    )
    return secret


@transaction.atomic
def login_link_redeem(*, secret: str) -> User | None:
    """The active user a valid, unused, unexpired link names, the link used up by this call (one
    statement: two redemptions of the same link cannot both succeed); None otherwise."""
    now = timezone.now()
    link = (
        LoginLink.objects.select_for_update()
        .filter(secret_hash=_secret_hash(secret), used_at__isnull=True, expires_at__gt=now)
        .select_related("user")
        .first()
    )
    if link is None or not link.user.is_active:
        return None
    LoginLink.objects.filter(pk=link.pk).update(used_at=now)
    return link.user


@transaction.atomic
def profile_update(
    *,
    user: User,
    name: str | None = None,
    language: str | None = None,
    time_zone: str | None = None,
) -> User:
    """A person changes their own name, language or time zone."""
    user = User.objects.select_for_update().get(pk=user.pk)
    changes = {"name": name, "language": language, "time_zone": time_zone}
    for field, value in changes.items():
        if value is not None:
            setattr(user, field, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=[field for field, value in changes.items() if value is not None])
    return user

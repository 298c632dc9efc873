"""Reads of accounts that several callers need: the workspace's team, and whether an address
is verified."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef, QuerySet

from loginexus.accounts.models import User


def user_list() -> QuerySet[User]:
    """The tenant's users (the connection's schema), active ones first, then by email; each
    with `has_two_factor` (an authenticator app set up)."""
    authenticators = Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
    return User.objects.annotate(has_two_factor=Exists(authenticators)).order_by(
        "-is_active", "email"
    )


def email_is_verified(*, user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email=user.email, verified=True).exists()

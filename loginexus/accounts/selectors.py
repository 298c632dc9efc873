"""Reads of accounts that several callers need: the workspace's team."""

from django.db.models import QuerySet

from loginexus.accounts.models import User


def user_list() -> QuerySet[User]:
    """The tenant's users (the connection's schema), active ones first, then by email."""
    return User.objects.order_by("-is_active", "email")

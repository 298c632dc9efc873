"""The user: identified by email; tenant users carry a role, platform staff carry is_staff."""

from functools import cache
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.limits import PlanLimitedManager, PlanLimitedModel
from billing.plans import Resource
from loginexus.accounts.addresses import email_key


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every IANA time zone name, sorted (read once: the list comes from the disk)."""
    return tuple(sorted(available_timezones()))


def validate_time_zone(value: str) -> None:
    if value and value not in time_zone_names():
        raise ValidationError(
            f"{value} is not a time zone; use an IANA name such as Europe/Berlin.",
            code="invalid_time_zone",
        )


class UserManager(BaseUserManager["User"], PlanLimitedManager):
    use_in_migrations = True

    def get_by_natural_key(self, email: str) -> "User":
        return self.get(email_key=email_key(email))

    def with_email(self, email: str):
        """The account this address names, in any spelling that normalises to its key."""
        return self.filter(email_key=email_key(email))

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin, PlanLimitedModel):
    """One table per schema: a tenant's users in its schema, platform staff in the public one.

    An active tenant user takes a seat of the plan (platform staff take none).
    """

    limited_resource = Resource.USERS

    email = models.EmailField(max_length=254, unique=True)
    # The address as login finds it (addresses.email_key); unique, so two spellings of one
    # address can never be two accounts.
    email_key = models.CharField(max_length=320, unique=True, editable=False)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    name = models.CharField(max_length=150, blank=True)
    # The person's own choices for pages and emails (PRODUCT.md, "Languages and time"); blank:
    # the browser's language (then the workspace's), the workspace's time zone.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True, default="")
    time_zone = models.CharField(
        max_length=64, blank=True, default="", validators=[validate_time_zone]
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Platform staff: may use the admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def clean_fields(self, exclude=None) -> None:
        self.email_key = email_key(self.email.lower())
        super().clean_fields(exclude=exclude)

    def save(self, *args, **kwargs) -> None:
        # One spelling per address, so uniqueness and login ignore case.
        self.email = self.email.lower()
        self.email_key = email_key(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "email_key"}
        super().save(*args, **kwargs)

    def counts_against_limit(self) -> bool:
        return self.is_active and super().counts_against_limit()

    @property
    def is_tenant_admin(self) -> bool:
        return self.is_active and self.role == Role.ADMIN


class Session(AbstractBaseSession):
    """Django's database session with the user it belongs to, so that ending a user's access
    (deactivation) deletes every session of theirs in one statement (accounts.sessions)."""

    # No database constraint: staff rows are removed by hand in places, sessions go with them.
    user = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sessions",
        db_constraint=False,
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_session"

    @classmethod
    def get_session_store_class(cls):
        from loginexus.accounts.sessions import SessionStore  # the store imports this model

        return SessionStore


class LoginLink(models.Model):
    """A one-time, short-lived link that signs its user in on this workspace's host (signup ends
    signed in on the new workspace, whose host the public host cannot set a session for). Only a
    hash of the link's secret is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_links")
    secret_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_login_link"

    def __str__(self) -> str:
        return f"Login link for {self.user_id}, until {self.expires_at:%Y-%m-%d %H:%M}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class Invitation(PlanLimitedModel):
    """An admin's invitation of an address to the workspace, with a role. While pending it holds
    a seat (its insert is counted like a user's); the emailed link's secret is kept as a hash."""

    limited_resource = Resource.USERS

    email = models.EmailField(max_length=254)
    email_key = models.CharField(max_length=320, editable=False, db_index=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "accounts_invitation"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} ({self.status})"

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.lower()
        self.email_key = email_key(self.email)
        super().save(*args, **kwargs)

    @property
    def status(self) -> str:
        if self.accepted_at:
            return InvitationStatus.ACCEPTED
        if self.revoked_at:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @classmethod
    def pending_q(cls, now=None) -> models.Q:
        return models.Q(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now or timezone.now()
        )

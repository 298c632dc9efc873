"""The user: identified by email; tenant users carry a role, platform staff carry is_staff."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from billing.limits import PlanLimitedManager, PlanLimitedModel
from billing.plans import Resource


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class UserManager(BaseUserManager["User"], PlanLimitedManager):
    use_in_migrations = True

    def get_by_natural_key(self, email: str) -> "User":
        return self.get(email__iexact=email)

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
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Platform staff: may use the admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        # One spelling per address, so uniqueness and login ignore case.
        self.email = self.email.lower()
        super().save(*args, **kwargs)

    def counts_against_limit(self) -> bool:
        return self.is_active and super().counts_against_limit()

    @property
    def is_tenant_admin(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

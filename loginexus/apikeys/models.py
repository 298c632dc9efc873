"""Workspace API keys (in the tenant's schema): a name, the scopes it grants, the prefix shown
in clear and a SHA-256 hash of the whole key; the key itself is never stored."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    SHIPMENTS_READ = "shipments:read", _("Read shipments")
    SHIPMENTS_WRITE = "shipments:write", _("Create and change shipments")
    ESCROWS_READ = "escrows:read", _("Read escrows")
    ESCROWS_WRITE = "escrows:write", _("Open escrows and move them on")
    BILLING_READ = "billing:read", _("Read the plan, usage and invoices")
    AUDIT_READ = "audit:read", _("Read the audit log")


class ApiKey(models.Model):
    """A key belongs to the workspace, not to the admin who made it: it outlives their account."""

    name = models.CharField(max_length=100)
    # "lnx_" and 8 hex digits: how a key is found, and how people tell keys apart.
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = ArrayField(models.CharField(max_length=32, choices=Scope.choices))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scopes__contained_by=Scope.values), name="api_key_scopes_known"
            ),
            models.CheckConstraint(condition=Q(scopes__len__gt=0), name="api_key_has_a_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def actor_label(self) -> str:
        """How the key is named where a person's address would be (logs, the audit trail)."""
        return f"api-key:{self.prefix}"


class ApiKeyActor:
    """Who a request made with an API key acts as: the workspace, through the key; no person,
    no role. `request.user` is this, `request.auth` the key."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    is_tenant_admin = False
    pk = None
    id = None

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key

    def __str__(self) -> str:
        return self.api_key.actor_label

    @property
    def email(self) -> str:
        return self.api_key.actor_label

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def has_perms(self, perm_list, obj=None) -> bool:
        return False

    def has_module_perms(self, module) -> bool:
        return False

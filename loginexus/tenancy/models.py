"""Tenants (one PostgreSQL schema each) and the host names that route to them."""

from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from loginexus.tenancy.validators import SLUG_MAX_LENGTH, validate_tenant_slug


class Tenant(TenantMixin):
    """A customer company. Its schema is cloned from the template by `tenant_provision`."""

    name = models.CharField(max_length=100)
    email = models.EmailField(
        max_length=254, blank=True, help_text="Billing contact: the first admin's email."
    )
    slug = models.SlugField(
        max_length=SLUG_MAX_LENGTH, unique=True, validators=[validate_tenant_slug]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    suspended_at = models.DateTimeField(
        null=True, blank=True, help_text="Set by staff: the tenant's hosts show a suspended page."
    )
    suspended_reason = models.CharField(max_length=200, blank=True)

    # Provisioning clones the template schema explicitly inside its own transaction, and deleting
    # a row never drops a schema by accident (`delete(force_drop=True)` says so explicitly).
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["slug"]
        permissions = [
            ("resync_tenant", "Can re-sync a tenant from Stripe"),
            ("extend_grace_tenant", "Can extend a tenant's grace period"),
            ("comp_tenant", "Can give a tenant a complimentary plan"),
            ("suspend_tenant", "Can suspend and unsuspend a tenant"),
        ]

    def __str__(self) -> str:
        return self.name or self.schema_name

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None


class Domain(DomainMixin):
    """A host name (`acme.localhost`) routed to its tenant's schema."""

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

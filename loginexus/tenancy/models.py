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

    # Provisioning clones the template schema explicitly inside its own transaction, and deleting
    # a row never drops a schema by accident (`delete(force_drop=True)` says so explicitly).
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name or self.schema_name


class Domain(DomainMixin):
    """A host name (`acme.localhost`) routed to its tenant's schema."""

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

"""Tenants (one PostgreSQL schema each) and the host names that route to them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from loginexus.tenancy.validators import (
    SLUG_MAX_LENGTH,
    TAX_ID_VALUE_MAX_LENGTH,
    validate_country,
    validate_tax_id_type,
    validate_tax_id_value,
    validate_tenant_slug,
    validate_time_zone,
)

# The billing address, as Stripe's `address` names its parts.
ADDRESS_PARTS = ("line1", "line2", "city", "postal_code", "state", "country")


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
    # Workspace settings (admins); the name, billing email, address and tax ID are also the
    # Stripe customer's, so invoices carry them.
    billing_address_line1 = models.CharField(max_length=200, blank=True)
    billing_address_line2 = models.CharField(max_length=200, blank=True)
    billing_address_city = models.CharField(max_length=100, blank=True)
    billing_address_postal_code = models.CharField(max_length=20, blank=True)
    billing_address_state = models.CharField(max_length=100, blank=True)
    billing_address_country = models.CharField(
        max_length=2, blank=True, validators=[validate_country], help_text="ISO 3166 alpha-2."
    )
    tax_id_type = models.CharField(
        max_length=16, blank=True, validators=[validate_tax_id_type], help_text="Stripe's type."
    )
    tax_id_value = models.CharField(max_length=TAX_ID_VALUE_MAX_LENGTH, blank=True)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    # Provisioning clones the template schema explicitly inside its own transaction, and deleting
    # a row never drops a schema by accident (`delete(force_drop=True)` says so explicitly).
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["slug"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        constraints = [
            models.CheckConstraint(
                name="tenant_tax_id_type_and_value_together",
                condition=models.Q(tax_id_type="", tax_id_value="")
                | (~models.Q(tax_id_type="") & ~models.Q(tax_id_value="")),
            ),
            models.CheckConstraint(
                name="tenant_billing_country_is_two_capitals",
                condition=models.Q(billing_address_country__regex=r"^([A-Z]{2})?$"),
            ),
        ]
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

    @property
    def billing_address(self) -> dict[str, str]:
        return {part: getattr(self, f"billing_address_{part}") for part in ADDRESS_PARTS}

    @property
    def has_billing_address(self) -> bool:
        return any(self.billing_address.values())

    @property
    def tax_id(self) -> dict[str, str] | None:
        if not self.tax_id_type:
            return None
        return {"type": self.tax_id_type, "value": self.tax_id_value}

    def clean(self) -> None:
        """A tax ID has both a type and a value, of that type's format; an address names its
        country (Stripe's tax needs it)."""
        errors = {}
        if bool(self.tax_id_type) != bool(self.tax_id_value):
            missing = "tax_id_value" if self.tax_id_type else "tax_id_type"
            errors[missing] = ValidationError(
                _("A tax ID needs both its type and its value."), code="required"
            )
        elif self.tax_id_type:
            try:
                validate_tax_id_value(self.tax_id_type, self.tax_id_value)
            except ValidationError as error:
                errors["tax_id_value"] = error
        if self.has_billing_address and not self.billing_address_country:
            errors["billing_address_country"] = ValidationError(
                _("An address names its country."), code="required"
            )
        if errors:
            raise ValidationError(errors)


class Domain(DomainMixin):
    """A host name (`acme.localhost`) routed to its tenant's schema."""

    class Meta:
        ordering = ["domain"]
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.domain

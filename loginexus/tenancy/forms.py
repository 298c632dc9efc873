"""The signup form (the one place signup input is validated, for the page and the API alike),
the workspace settings page's form, and the forms of the staff actions on a tenant."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.plans import PAID_PLANS
from billing.stripe.boundary import tax_id_types
from loginexus.tenancy.countries import COUNTRIES
from loginexus.tenancy.models import ADDRESS_PARTS, Tenant
from loginexus.tenancy.selectors import tenant_address
from loginexus.tenancy.validators import (
    SLUG_MAX_LENGTH,
    TAX_ID_VALUE_MAX_LENGTH,
    validate_tenant_slug,
)


def _slug_help() -> str:
    return gettext(
        "Your workspace's address: %(example)s for the slug “acme”. Lowercase letters, "
        "digits and hyphens; it cannot be changed later."
    ) % {"example": tenant_address(slug="acme")}


class SignupForm(forms.Form):
    company = forms.CharField(max_length=100, strip=True, label=_("Company"))
    slug = forms.CharField(
        max_length=SLUG_MAX_LENGTH,
        strip=True,
        validators=[validate_tenant_slug],
        label=_("Slug"),
        help_text=lazy(_slug_help, str)(),
    )
    email = forms.EmailField(max_length=254, label=_("Admin email"))
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        max_length=128,
        label=_("Password"),
    )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Tenant.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("This slug is already taken."), code="taken")
        return slug

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            user = get_user_model()(email=cleaned.get("email") or "")
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


def _country_choices() -> list[tuple[str, str]]:
    by_name = sorted(COUNTRIES.items(), key=lambda item: str(item[1]))
    return [("", _("Choose a country")), *by_name]


def _tax_id_type_choices() -> list[tuple[str, str]]:
    """Stripe's types, shown as people write them (eu_vat: "EU VAT")."""
    return [("", _("None")), *((t, t.replace("_", " ").upper()) for t in tax_id_types())]


def _time_zone_choices() -> list[tuple[str, str]]:
    # The accounts app's models import billing, whose models import this app's.
    from loginexus.accounts.models import time_zone_names

    return [(name, name.replace("_", " ")) for name in time_zone_names()]


class WorkspaceSettingsForm(forms.Form):
    """The workspace's settings page: the same settings as `PATCH /api/v1/workspace/`, flat."""

    name = forms.CharField(max_length=100, label=_("Workspace name"))
    billing_email = forms.EmailField(
        max_length=254,
        label=_("Billing email"),
        help_text=_("Invoices and receipts are sent here."),
    )
    billing_address_line1 = forms.CharField(max_length=200, required=False, label=_("Address"))
    billing_address_line2 = forms.CharField(
        max_length=200, required=False, label=_("Address (second line)")
    )
    billing_address_postal_code = forms.CharField(
        max_length=20, required=False, label=_("Postal code")
    )
    billing_address_city = forms.CharField(max_length=100, required=False, label=_("City"))
    billing_address_state = forms.CharField(
        max_length=100, required=False, label=_("State, county or province")
    )
    billing_address_country = forms.ChoiceField(
        choices=_country_choices, required=False, label=_("Country")
    )
    tax_id_type = forms.ChoiceField(
        choices=_tax_id_type_choices, required=False, label=_("Tax ID type")
    )
    tax_id_value = forms.CharField(
        max_length=TAX_ID_VALUE_MAX_LENGTH,
        required=False,
        label=_("Tax ID"),
        help_text=_("An EU VAT number starts with its country's code, such as DE123456789."),
    )
    language = forms.ChoiceField(choices=settings.LANGUAGES, label=_("Language"))
    time_zone = forms.ChoiceField(
        choices=_time_zone_choices,
        label=_("Time zone"),
        help_text=_("The workspace's dates and times are shown in it."),
    )

    GROUPS = (
        (_("Workspace"), ("name", "billing_email")),
        (_("Billing address"), tuple(f"billing_address_{part}" for part in ADDRESS_PARTS)),
        (_("Tax ID"), ("tax_id_type", "tax_id_value")),
        (_("Language and time zone"), ("language", "time_zone")),
    )

    @classmethod
    def initial_of(cls, tenant: Tenant) -> dict[str, str]:
        initial = {
            "name": tenant.name,
            "billing_email": tenant.email,
            "tax_id_type": tenant.tax_id_type,
            "tax_id_value": tenant.tax_id_value,
            "language": tenant.language,
            "time_zone": tenant.time_zone,
        }
        initial.update({f"billing_address_{k}": v for k, v in tenant.billing_address.items()})
        return initial

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]

    def settings_changes(self) -> dict[str, Any]:
        """The cleaned form as `workspace_update` takes it."""
        data = self.cleaned_data
        tax_id = None
        if data["tax_id_type"] or data["tax_id_value"]:
            tax_id = {"type": data["tax_id_type"], "value": data["tax_id_value"]}
        return {
            "name": data["name"],
            "billing_email": data["billing_email"],
            "billing_address": {part: data[f"billing_address_{part}"] for part in ADDRESS_PARTS},
            "tax_id": tax_id,
            "language": data["language"],
            "time_zone": data["time_zone"],
        }


class WorkspaceFindForm(forms.Form):
    email = forms.EmailField(max_length=254, label=_("Your email"))


class ConfirmForm(forms.Form):
    """A staff action that needs nothing but a confirmation."""


def _until_field(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("UTC."),
    )


class GraceExtendForm(forms.Form):
    until = _until_field(_("Grace lasts until"))


class CompPlanForm(forms.Form):
    plan = forms.ChoiceField(
        choices=[(plan.code, plan.name) for plan in PAID_PLANS], label=_("Plan")
    )
    until = _until_field(_("Complimentary until"))


class SuspendForm(forms.Form):
    reason = forms.CharField(
        max_length=200, label=_("Reason"), help_text=_("Shown to staff, not to the tenant.")
    )

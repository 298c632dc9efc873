"""The signup form (the one place signup input is validated, for the page and the API alike),
and the forms of the staff actions on a tenant."""

from django import forms
from django.contrib.auth import get_user_model, password_validation

from billing.plans import PAID_PLANS
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.validators import SLUG_MAX_LENGTH, validate_tenant_slug


class SignupForm(forms.Form):
    company = forms.CharField(max_length=100, strip=True)
    slug = forms.CharField(
        max_length=SLUG_MAX_LENGTH,
        strip=True,
        validators=[validate_tenant_slug],
        help_text="Your address: <slug>.loginexus. Lowercase letters, digits and hyphens.",
    )
    email = forms.EmailField(max_length=254, label="Admin email")
    password = forms.CharField(widget=forms.PasswordInput, strip=False, max_length=128)

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Tenant.objects.filter(slug=slug).exists():
            raise forms.ValidationError("This slug is already taken.", code="taken")
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


class WorkspaceFindForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Your email")


class ConfirmForm(forms.Form):
    """A staff action that needs nothing but a confirmation."""


def _until_field(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="UTC.",
    )


class GraceExtendForm(forms.Form):
    until = _until_field("Grace lasts until")


class CompPlanForm(forms.Form):
    plan = forms.ChoiceField(choices=[(plan.code, plan.name) for plan in PAID_PLANS])
    until = _until_field("Complimentary until")


class SuspendForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Shown to staff, not to the tenant.")

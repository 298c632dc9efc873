"""The signup form: the one place signup input is validated, for the page and the API alike."""

from django import forms
from django.contrib.auth import get_user_model, password_validation

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

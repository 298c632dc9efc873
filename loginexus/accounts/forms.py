"""Forms of the account pages; validation of the password is the service's."""

from django import forms

from loginexus.accounts.models import Role


class TeamMemberForm(forms.Form):
    email = forms.EmailField(max_length=254)
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        max_length=128,
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)

"""Forms of the account pages; validation of the password is the service's."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from loginexus.accounts.models import Role, time_zone_names


class TeamMemberForm(forms.Form):
    email = forms.EmailField(max_length=254, label=_("Email"))
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        max_length=128,
        label=_("Password"),
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER, label=_("Role"))


class ProfileForm(forms.Form):
    name = forms.CharField(max_length=150, required=False, label=_("Your name"))
    language = forms.ChoiceField(
        choices=lambda: [("", _("The browser's language")), *settings.LANGUAGES],
        required=False,
        label=_("Language"),
    )
    time_zone = forms.ChoiceField(
        choices=lambda: [
            ("", _("The workspace's time zone")),
            *((name, name.replace("_", " ")) for name in time_zone_names()),
        ],
        required=False,
        label=_("Time zone"),
        help_text=_("Dates and times on pages and in emails are shown in it."),
    )

    def __init__(self, *args, workspace_time_zone: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if workspace_time_zone:  # the blank choice says which zone it means
            zones = list(self.fields["time_zone"].choices)[1:]
            self.fields["time_zone"].choices = [
                (
                    "",
                    _("The workspace's time zone (%(zone)s)")
                    % {"zone": workspace_time_zone.replace("_", " ")},
                ),
                *zones,
            ]


class InvitationAcceptForm(forms.Form):
    name = forms.CharField(max_length=150, required=False, label=_("Your name"))
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        max_length=128,
        label=_("Choose a password"),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(max_length=254, label=_("Email"))
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER, label=_("Role"))


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, label=_("Role"))

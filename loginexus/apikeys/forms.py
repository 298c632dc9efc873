"""The form of the API keys page."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from loginexus.apikeys.models import Scope


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100, label=_("Name"), help_text=_("Where the key is used, e.g. “ERP sync”.")
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, label=_("Scopes")
    )
    expires_on = forms.DateField(
        required=False,
        label=_("Valid until (optional)"),
        help_text=_("The last day the key works, in your time zone."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def expires_at(self, *, time_zone: str) -> datetime | None:
        """The end of the chosen day in the person's time zone."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(time_zone))

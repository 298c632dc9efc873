"""Forms of the webhook pages: an endpoint's URL, description and event filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.models import EventType


class EndpointForm(forms.Form):
    url = forms.URLField(label=_("URL"), max_length=2000, assume_scheme="https")
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=EventType.values,
    )


class EndpointChangeForm(EndpointForm):
    enabled = forms.BooleanField(label=_("Enabled"), required=False)

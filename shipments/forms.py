"""Forms of the shipment pages; validation is the model's (and the service's)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from shipments.models import Shipment, ShipmentStatus


class ShipmentForm(forms.ModelForm):
    class Meta:
        model = Shipment
        fields = ["reference", "origin", "destination", "carrier", "weight_kg", "expected_delivery"]
        widgets = {"expected_delivery": forms.DateInput(attrs={"type": "date"})}
        labels = {
            "reference": _("Reference"),
            "origin": _("Origin"),
            "destination": _("Destination"),
            "carrier": _("Carrier"),
            "weight_kg": _("Weight (kg)"),
            "expected_delivery": _("Expected delivery"),
        }


class ShipmentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *ShipmentStatus.choices], required=False
    )
    q = forms.CharField(
        required=False,
        max_length=100,
        label=_("Search"),
        widget=forms.SearchInput(attrs={"placeholder": _("Reference, origin or destination")}),
    )

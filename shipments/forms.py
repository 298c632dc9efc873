"""Forms of the shipment pages; validation is the model's (and the service's)."""

from django import forms

from shipments.models import Shipment, ShipmentStatus


class ShipmentForm(forms.ModelForm):
    class Meta:
        model = Shipment
        fields = ["reference", "origin", "destination", "carrier", "weight_kg", "expected_delivery"]
        widgets = {"expected_delivery": forms.DateInput(attrs={"type": "date"})}
        labels = {"weight_kg": "Weight (kg)"}


class ShipmentFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Any status"), *ShipmentStatus.choices], required=False
    )
    q = forms.CharField(
        required=False,
        max_length=100,
        label="Search",
        widget=forms.SearchInput(attrs={"placeholder": "Reference, origin or destination"}),
    )

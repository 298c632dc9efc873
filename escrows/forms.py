"""Forms of the escrow pages."""

from django import forms

from escrows.models import Escrow, EscrowStatus
from shipments.models import Shipment, ShipmentStatus


class EscrowForm(forms.ModelForm):
    class Meta:
        model = Escrow
        fields = ["shipment", "buyer", "seller", "amount", "currency"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A cancelled shipment secures nothing.
        self.fields["shipment"].queryset = Shipment.objects.exclude(status=ShipmentStatus.CANCELLED)
        self.fields["currency"].initial = "USD"


class EscrowFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *EscrowStatus.choices], required=False)

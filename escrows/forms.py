"""Forms of the escrow pages; validation is the model's (and the service's)."""

from django import forms

from escrows.models import Escrow, EscrowStatus
from shipments.models import Shipment, ShipmentStatus


class EscrowForm(forms.ModelForm):
    class Meta:
        model = Escrow
        fields = ["shipment", "buyer", "seller", "amount", "currency"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only shipments an escrow may secure are offered (the service refuses the others).
        self.fields["shipment"].queryset = Shipment.objects.exclude(status=ShipmentStatus.CANCELLED)
        self.fields["currency"].initial = "USD"


class EscrowFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *EscrowStatus.choices], required=False)
    q = forms.CharField(
        required=False,
        max_length=100,
        label="Search",
        widget=forms.SearchInput(attrs={"placeholder": "Buyer, seller or shipment"}),
    )

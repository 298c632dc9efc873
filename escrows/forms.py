"""Forms of the escrow pages; validation is the model's (and the service's)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from escrows.models import Escrow, EscrowStatus
from shipments.models import Shipment, ShipmentStatus


class EscrowForm(forms.ModelForm):
    class Meta:
        model = Escrow
        fields = ["shipment", "buyer", "seller", "amount", "currency"]
        labels = {
            "shipment": _("Shipment"),
            "buyer": _("Buyer"),
            "seller": _("Seller"),
            "amount": _("Amount"),
            "currency": _("Currency"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only shipments an escrow may secure are offered (the service refuses the others).
        self.fields["shipment"].queryset = Shipment.objects.exclude(status=ShipmentStatus.CANCELLED)
        self.fields["currency"].initial = "USD"


class EscrowFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *EscrowStatus.choices], required=False
    )
    q = forms.CharField(
        required=False,
        max_length=100,
        label=_("Search"),
        widget=forms.SearchInput(attrs={"placeholder": _("Reference, buyer, seller or shipment")}),
    )

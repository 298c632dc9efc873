"""The overage control of the billing page (`POST /billing/overage/`, admins)."""

from django import forms
from django.contrib import messages
from django.db import connection
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from billing.overage.rules import CAP_MAX, CAP_MIN
from billing.overage.services import overage_choose
from loginexus.accounts.permissions import tenant_admin_required


class OverageForm(forms.Form):
    enabled = forms.BooleanField(
        required=False, label=gettext_lazy("Bill shipments past the limit")
    )
    cap = forms.IntegerField(
        min_value=CAP_MIN,
        max_value=CAP_MAX,
        required=False,
        label=gettext_lazy("At most this many extra shipments a period"),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("enabled") and cleaned.get("cap") is None and "cap" not in self.errors:
            self.add_error("cap", _("Give a cap: at most how many extra shipments a period."))
        return cleaned


@tenant_admin_required
@require_POST
def overage(request):
    form = OverageForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("billing:overview")
    enabled = form.cleaned_data["enabled"]
    overage_choose(tenant=connection.tenant, enabled=enabled, cap=form.cleaned_data["cap"])
    if enabled:
        messages.success(request, _("Overage is on: shipments past the limit are billed."))
    else:
        messages.success(request, _("Overage is off: shipments past the limit are refused."))
    return redirect("billing:overview")

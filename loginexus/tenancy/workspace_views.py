"""The workspace settings page of a tenant host (`/settings/`, admins)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from billing.exceptions import StripeUnavailable
from loginexus.accounts.permissions import tenant_admin_required
from loginexus.tenancy.forms import WorkspaceSettingsForm
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.workspace import workspace_update

TEMPLATE = "tenancy/settings.html"


def _errors_onto(form: WorkspaceSettingsForm, error: ValidationError) -> None:
    """The service's errors (by the model's fields, which the form's are named after) on the
    form's fields; the rest above the form."""
    for field, problems in error.message_dict.items():
        field = "billing_email" if field == "email" else field
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


@tenant_admin_required
def workspace_settings(request):
    tenant = Tenant.objects.get(pk=request.tenant.pk)
    form = WorkspaceSettingsForm(
        request.POST or None, initial=WorkspaceSettingsForm.initial_of(tenant)
    )
    context = {"form": form, "tenant": tenant}
    if request.method == "POST" and form.is_valid():
        try:
            workspace_update(tenant=tenant, **form.settings_changes())
        except ValidationError as error:
            _errors_onto(form, error)
        except StripeUnavailable as error:
            return render(request, TEMPLATE, {**context, "unavailable": error.message}, status=503)
        else:
            messages.success(request, _("The workspace's settings are saved."))
            return redirect("workspace-settings")
    return render(request, TEMPLATE, context, status=400 if form.errors else 200)

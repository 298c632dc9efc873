"""The workspace settings page of a tenant host (`/settings/`, admins)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from billing.exceptions import StripeUnavailable
from loginexus.accounts.permissions import tenant_admin_required
from loginexus.forms import errors_onto
from loginexus.tenancy.forms import WorkspaceSettingsForm
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.selectors import tenant_address
from loginexus.tenancy.workspace import workspace_update

TEMPLATE = "tenancy/settings.html"


@tenant_admin_required
def workspace_settings(request):
    tenant = Tenant.objects.get(pk=request.tenant.pk)
    form = WorkspaceSettingsForm(
        request.POST or None, initial=WorkspaceSettingsForm.initial_of(tenant)
    )
    context = {"form": form, "tenant": tenant, "address": tenant_address(slug=tenant.slug)}
    if request.method == "POST" and form.is_valid():
        try:
            workspace_update(tenant=tenant, **form.settings_changes())
        except ValidationError as error:
            errors_onto(form, error, renamed={"email": "billing_email"})
        except StripeUnavailable as error:
            return render(request, TEMPLATE, {**context, "unavailable": error.message}, status=503)
        else:
            messages.success(request, _("The workspace's settings are saved."))
            return redirect("workspace-settings")
    return render(request, TEMPLATE, context, status=400 if form.errors else 200)

"""Pages of a tenant host about shipments, and the dashboard.

Changes that cannot be undone and cannot be made good by another move (in transit, delivered,
cancelled, delete) are asked first: a GET of their
URL shows what will happen, the POST does it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from billing.exceptions import PlanLimitExceeded
from billing.selectors import entitlement_get, usage_get, usage_warnings
from escrows.selectors import escrow_counts_by_status
from loginexus.exports import export_query
from loginexus.forms import errors_onto
from shipments import services
from shipments.forms import ShipmentFilterForm, ShipmentForm
from shipments.models import Shipment, ShipmentStatus
from shipments.selectors import (
    creation_limits_get,
    shipment_counts_by_status,
    shipment_detail,
    shipment_list,
)

PAGE_SIZE = 20
LATEST_ON_DASHBOARD = 5
# Moves the detail page asks to confirm: in transit locks the details, delivered and cancelled
# end the shipment for good. Booking is one click: a booked shipment can still be cancelled.
CONFIRMED_STATUSES = (ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED)


def creation_limits(request, usage: dict | None = None) -> dict:
    """Where the plan's limits of shipments and escrows stand, for the "New" buttons."""
    tenant = connection.tenant
    return creation_limits_get(
        tenant=tenant, entitlement=_entitlement(request), now=timezone.now(), usage=usage
    )


def _entitlement(request):
    return getattr(request, "entitlement", None) or entitlement_get(tenant=connection.tenant)


@login_required
def dashboard(request):
    tenant = connection.tenant
    usage = usage_get(tenant=tenant, entitlement=_entitlement(request), now=timezone.now())
    return render(
        request,
        "shipments/dashboard.html",
        {
            "tenant": tenant,
            "shipment_counts": shipment_counts_by_status(),
            "escrow_counts": escrow_counts_by_status(),
            "latest": shipment_list()[:LATEST_ON_DASHBOARD],
            "usage_warnings": usage_warnings(usage=usage),
            "limits": creation_limits(request, usage),
        },
    )


@login_required
def shipment_index(request):
    filters = ShipmentFilterForm(request.GET)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    shipments = shipment_list(status=chosen.get("status"), search=chosen.get("q"))
    page = Paginator(shipments, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    export_url = reverse("shipment-export") + export_query(chosen)
    return render(
        request,
        "shipments/list.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "export_url": export_url,
            "limit": creation_limits(request)["shipments"],
        },
    )


@login_required
def shipment_new(request):
    """At the plan's limit the form says so before anything is typed; a refusal anyway (another
    tab or person took the last one) shows the form again with what was typed."""
    form = ShipmentForm(request.POST or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            shipment = services.shipment_create(**form.cleaned_data, created_by=request.user)
        except ValidationError as error:
            errors_onto(form, error)
        except PlanLimitExceeded as error:
            refusal = error
        else:
            messages.success(
                request, _("Shipment %(reference)s created.") % {"reference": shipment.reference}
            )
            return redirect("shipments:detail", pk=shipment.pk)
    return render(
        request,
        "shipments/form.html",
        {
            "form": form,
            "title": _("New shipment"),
            "limit": creation_limits(request)["shipments"],
            "refusal": refusal,
        },
        status=402 if refusal else 400 if form.errors else 200,
    )


@login_required
def shipment_edit(request, pk: int):
    shipment = get_object_or_404(Shipment, pk=pk)
    if not shipment.is_editable:
        messages.error(
            request,
            _(
                "A shipment with status “%(status)s” can no longer be edited; "
                "only draft and booked shipments can."
            )
            % {"status": shipment.get_status_display()},
        )
        return redirect("shipments:detail", pk=shipment.pk)
    form = ShipmentForm(request.POST or None, instance=shipment)
    if request.method == "POST" and form.is_valid():
        try:
            services.shipment_update(shipment=shipment, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(
                request, _("Shipment %(reference)s updated.") % {"reference": shipment.reference}
            )
            return redirect("shipments:detail", pk=shipment.pk)
    return render(
        request,
        "shipments/form.html",
        {
            "form": form,
            "title": _("Edit %(reference)s") % {"reference": shipment.reference},
            "shipment": shipment,
        },
        status=400 if form.errors else 200,
    )


@login_required
def shipment_show(request, pk: int):
    try:
        shipment = shipment_detail(pk=pk)
    except Shipment.DoesNotExist as error:
        raise Http404(_("No such shipment.")) from error
    return render(
        request,
        "shipments/detail.html",
        {
            "shipment": shipment,
            "confirmed_statuses": CONFIRMED_STATUSES,
            "limit": creation_limits(request)["escrows"],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def shipment_transition(request, pk: int):
    """GET (`?status=`) asks to confirm the move and says what it does; POST makes it. An illegal
    move becomes the 409 page naming the legal ones."""
    if request.method != "POST":
        shipment = get_object_or_404(Shipment.objects.prefetch_related("escrows"), pk=pk)
        target = request.GET.get("status", "")
        if target not in shipment.allowed_statuses:
            return redirect("shipments:detail", pk=shipment.pk)
        return render(
            request,
            "shipments/confirm_status.html",
            {"shipment": shipment, "target": target, "target_label": ShipmentStatus(target).label},
        )
    shipment = get_object_or_404(Shipment, pk=pk)
    shipment = services.shipment_transition(
        shipment=shipment, to_status=request.POST.get("status", ""), actor=request.user
    )
    messages.success(
        request,
        _("Shipment %(reference)s is now %(status)s.")
        % {"reference": shipment.reference, "status": shipment.get_status_display().lower()},
    )
    return redirect("shipments:detail", pk=shipment.pk)


@login_required
@require_http_methods(["GET", "POST"])
def shipment_delete(request, pk: int):
    """GET asks to confirm and says what deleting does; POST deletes."""
    shipment = get_object_or_404(Shipment, pk=pk)
    if request.method != "POST":
        return render(request, "shipments/confirm_delete.html", {"shipment": shipment})
    services.shipment_delete(shipment=shipment)
    messages.success(
        request, _("Shipment %(reference)s deleted.") % {"reference": shipment.reference}
    )
    return redirect("shipments:index")

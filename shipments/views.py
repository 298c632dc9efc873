"""Pages of a tenant host about shipments, and the dashboard."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing.selectors import entitlement_get, usage_get, usage_warnings
from escrows.selectors import escrow_counts_by_status
from loginexus.exports import export_query
from shipments import services
from shipments.forms import ShipmentFilterForm, ShipmentForm
from shipments.models import Shipment, ShipmentStatus
from shipments.selectors import shipment_counts_by_status, shipment_detail, shipment_list

PAGE_SIZE = 20
LATEST_ON_DASHBOARD = 5


@login_required
def dashboard(request):
    tenant = connection.tenant
    usage = usage_get(tenant=tenant, entitlement=entitlement_get(tenant=tenant), now=timezone.now())
    return render(
        request,
        "shipments/dashboard.html",
        {
            "tenant": tenant,
            "shipment_counts": shipment_counts_by_status(),
            "escrow_counts": escrow_counts_by_status(),
            "latest": shipment_list()[:LATEST_ON_DASHBOARD],
            "usage_warnings": usage_warnings(usage=usage),
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
        {"filters": filters, "page": page, "query": query.urlencode(), "export_url": export_url},
    )


@login_required
def shipment_new(request):
    form = ShipmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            shipment = services.shipment_create(**form.cleaned_data, created_by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Shipment {shipment.reference} created.")
            return redirect("shipments:detail", pk=shipment.pk)
    return render(
        request,
        "shipments/form.html",
        {"form": form, "title": "New shipment"},
        status=400 if form.errors else 200,
    )


@login_required
def shipment_edit(request, pk: int):
    shipment = get_object_or_404(Shipment, pk=pk)
    if not shipment.is_editable:
        messages.error(
            request,
            f"A {shipment.get_status_display().lower()} shipment can no longer be edited; "
            "only draft and booked shipments can.",
        )
        return redirect("shipments:detail", pk=shipment.pk)
    form = ShipmentForm(request.POST or None, instance=shipment)
    if request.method == "POST" and form.is_valid():
        try:
            services.shipment_update(shipment=shipment, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Shipment {shipment.reference} updated.")
            return redirect("shipments:detail", pk=shipment.pk)
    return render(
        request,
        "shipments/form.html",
        {"form": form, "title": f"Edit {shipment.reference}", "shipment": shipment},
        status=400 if form.errors else 200,
    )


@login_required
def shipment_show(request, pk: int):
    try:
        shipment = shipment_detail(pk=pk)
    except Shipment.DoesNotExist as error:
        raise Http404("No such shipment.") from error
    return render(request, "shipments/detail.html", {"shipment": shipment})


@login_required
@require_POST
def shipment_transition(request, pk: int):
    """A status button; an illegal move becomes the 409 page naming the legal ones."""
    shipment = get_object_or_404(Shipment, pk=pk)
    shipment = services.shipment_transition(
        shipment=shipment, to_status=request.POST.get("status", ""), actor=request.user
    )
    label = ShipmentStatus(shipment.status).label.lower()
    messages.success(request, f"Shipment {shipment.reference} is now {label}.")
    return redirect("shipments:detail", pk=shipment.pk)


@login_required
@require_POST
def shipment_delete(request, pk: int):
    shipment = get_object_or_404(Shipment, pk=pk)
    services.shipment_delete(shipment=shipment)
    messages.success(request, f"Shipment {shipment.reference} deleted.")
    return redirect("shipments:index")

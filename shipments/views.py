"""Pages of a tenant host about shipments, and the dashboard."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing.selectors import entitlement_get, usage_get, usage_warnings
from escrows.selectors import escrow_list
from shipments import services
from shipments.forms import ShipmentFilterForm, ShipmentForm
from shipments.models import Shipment, ShipmentStatus
from shipments.selectors import shipment_counts_by_status, shipment_detail, shipment_list

PAGE_SIZE = 20


@login_required
def dashboard(request):
    return render(
        request,
        "shipments/dashboard.html",
        {
            "tenant": connection.tenant,
            "counts": [
                (label, count)
                for (value, label), count in zip(
                    ShipmentStatus.choices, shipment_counts_by_status().values(), strict=True
                )
            ],
            "latest": shipment_list()[:5],
            "usage_warnings": usage_warnings(
                usage=usage_get(
                    tenant=connection.tenant,
                    entitlement=entitlement_get(tenant=connection.tenant),
                    now=timezone.now(),
                )
            ),
            "open_escrows": escrow_list(status="open").count(),
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
    return render(
        request,
        "shipments/list.html",
        {"filters": filters, "page": page, "query": query.urlencode()},
    )


@login_required
def shipment_new(request):
    form = ShipmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        shipment = services.shipment_create(**form.cleaned_data, created_by=request.user)
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
    form = ShipmentForm(request.POST or None, instance=shipment)
    if request.method == "POST" and form.is_valid():
        services.shipment_update(shipment=shipment, **form.cleaned_data)
        messages.success(request, "Shipment updated.")
        return redirect("shipments:detail", pk=shipment.pk)
    if not shipment.is_editable:
        messages.error(
            request, f"A {shipment.get_status_display().lower()} shipment can no longer be edited."
        )
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
    shipment = get_object_or_404(Shipment, pk=pk)
    target = request.POST.get("status", "")
    services.shipment_transition(shipment=shipment, to_status=target, actor=request.user)
    messages.success(request, f"Shipment {shipment.reference} is now {target.replace('_', ' ')}.")
    return redirect("shipments:detail", pk=shipment.pk)


@login_required
@require_POST
def shipment_delete(request, pk: int):
    shipment = get_object_or_404(Shipment, pk=pk)
    services.shipment_delete(shipment=shipment)
    messages.success(request, f"Shipment {shipment.reference} deleted.")
    return redirect("shipments:index")

"""Pages of a tenant host about escrows."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from escrows import services
from escrows.forms import EscrowFilterForm, EscrowForm
from escrows.models import ESCROW_ACTIONS, Escrow, EscrowStatus
from escrows.selectors import escrow_detail, escrow_list
from loginexus.exports import export_query

PAGE_SIZE = 20


@login_required
def escrow_index(request):
    filters = EscrowFilterForm(request.GET)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    escrows = escrow_list(status=chosen.get("status"), search=chosen.get("q"))
    page = Paginator(escrows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    export_url = reverse("escrow-export") + export_query(chosen)
    return render(
        request,
        "escrows/list.html",
        {"filters": filters, "page": page, "query": query.urlencode(), "export_url": export_url},
    )


@login_required
def escrow_new(request):
    """Open an escrow on its own, or for the shipment whose page linked here (?shipment=)."""
    form = EscrowForm(request.POST or None, initial={"shipment": request.GET.get("shipment")})
    if request.method == "POST" and form.is_valid():
        try:
            escrow = services.escrow_create(**form.cleaned_data, created_by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Escrow opened for shipment {escrow.shipment.reference}.")
            return redirect("escrows:detail", pk=escrow.pk)
    return render(request, "escrows/form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def escrow_show(request, pk: int):
    try:
        escrow = escrow_detail(pk=pk)
    except Escrow.DoesNotExist as error:
        raise Http404("No such escrow.") from error
    return render(request, "escrows/detail.html", {"escrow": escrow})


@login_required
@require_POST
def escrow_act(request, pk: int, action: str):
    """An action button; one the escrow's state forbids becomes the 409 page saying why."""
    if action not in ESCROW_ACTIONS:
        raise Http404("No such action.")
    escrow = get_object_or_404(Escrow, pk=pk)
    escrow = services.escrow_transition(
        escrow=escrow, to_status=ESCROW_ACTIONS[action], actor=request.user
    )
    label = EscrowStatus(escrow.status).label.lower()
    messages.success(request, f"Escrow is now {label}.")
    return redirect("escrows:detail", pk=escrow.pk)

"""Pages of a tenant host about escrows."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from escrows import services
from escrows.forms import EscrowFilterForm, EscrowForm
from escrows.models import ESCROW_ACTIONS, Escrow
from escrows.selectors import escrow_detail, escrow_list

PAGE_SIZE = 20


@login_required
def escrow_index(request):
    filters = EscrowFilterForm(request.GET)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    page = Paginator(escrow_list(status=chosen.get("status")), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "escrows/list.html", {"filters": filters, "page": page, "query": query.urlencode()}
    )


@login_required
def escrow_new(request):
    form = EscrowForm(request.POST or None, initial={"shipment": request.GET.get("shipment")})
    if request.method == "POST" and form.is_valid():
        escrow = services.escrow_create(**form.cleaned_data, created_by=request.user)
        messages.success(request, "Escrow opened.")
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
    if action not in ESCROW_ACTIONS:
        raise Http404("No such action.")
    escrow = get_object_or_404(Escrow, pk=pk)
    escrow = services.escrow_transition(
        escrow=escrow, to_status=ESCROW_ACTIONS[action], actor=request.user
    )
    messages.success(request, f"Escrow is now {escrow.get_status_display().lower()}.")
    return redirect("escrows:detail", pk=escrow.pk)

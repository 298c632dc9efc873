"""Pages of a tenant host about escrows.

Actions that move money or freeze it (release, refund, dispute) are asked first: a GET of their
URL says what will happen, the POST does it. Funding is one click.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from billing.exceptions import PlanLimitExceeded
from escrows import services
from escrows.forms import EscrowFilterForm, EscrowForm
from escrows.models import ESCROW_ACTIONS, Escrow
from escrows.selectors import escrow_detail, escrow_list
from loginexus.exports import export_query
from loginexus.forms import errors_onto
from shipments.views import creation_limits

PAGE_SIZE = 20
# The actions the detail page asks to confirm: none of them can be undone.
CONFIRMED_ACTIONS = ("release", "refund", "dispute")


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
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "export_url": export_url,
            "limit": creation_limits(request)["escrows"],
        },
    )


@login_required
def escrow_new(request):
    """Open an escrow on its own, or for the shipment whose page linked here (?shipment=). At the
    plan's limit the form says so first; a refusal anyway shows the form again as typed."""
    form = EscrowForm(request.POST or None, initial={"shipment": request.GET.get("shipment")})
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            escrow = services.escrow_create(**form.cleaned_data, created_by=request.user)
        except ValidationError as error:
            errors_onto(form, error)
        except PlanLimitExceeded as error:
            refusal = error
        else:
            messages.success(
                request,
                _("Escrow %(escrow)s opened for shipment %(shipment)s.")
                % {"escrow": escrow.reference, "shipment": escrow.shipment.reference},
            )
            return redirect("escrows:detail", pk=escrow.pk)
    return render(
        request,
        "escrows/form.html",
        {"form": form, "limit": creation_limits(request)["escrows"], "refusal": refusal},
        status=402 if refusal else 400 if form.errors else 200,
    )


@login_required
def escrow_show(request, pk: int):
    try:
        escrow = escrow_detail(pk=pk)
    except Escrow.DoesNotExist as error:
        raise Http404(_("No such escrow.")) from error
    return render(
        request,
        "escrows/detail.html",
        {"escrow": escrow, "confirmed_actions": CONFIRMED_ACTIONS},
    )


@login_required
@require_http_methods(["GET", "POST"])
def escrow_act(request, pk: int, action: str):
    """An action: GET asks to confirm one that cannot be undone, POST does it; one the escrow's
    state forbids becomes the 409 page saying why."""
    if action not in ESCROW_ACTIONS:
        raise Http404(_("No such action."))
    if request.method != "POST":
        try:
            escrow = escrow_detail(pk=pk)
        except Escrow.DoesNotExist as error:
            raise Http404(_("No such escrow.")) from error
        if action not in CONFIRMED_ACTIONS or action not in escrow.allowed_actions:
            return redirect("escrows:detail", pk=escrow.pk)
        return render(request, "escrows/confirm.html", {"escrow": escrow, "action": action})
    escrow = get_object_or_404(Escrow, pk=pk)
    escrow = services.escrow_transition(
        escrow=escrow, to_status=ESCROW_ACTIONS[action], actor=request.user
    )
    messages.success(
        request,
        _("Escrow %(reference)s is now %(status)s.")
        % {"reference": escrow.reference, "status": escrow.get_status_display().lower()},
    )
    return redirect("escrows:detail", pk=escrow.pk)

"""Pages of outbound webhooks (admins): the endpoints and a form to add one (its secret shown
once, on the answer to the form), and each endpoint's page: its event filters, enabling and
disabling, the secret's rotation, deletion after a confirmation and the delivery log with
redelivery."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loginexus.accounts.permissions import tenant_admin_required
from loginexus.forms import errors_onto
from webhooks import services
from webhooks.forms import EndpointChangeForm, EndpointForm
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.selectors import webhook_delivery_list, webhook_endpoint_list

DELIVERIES_PER_PAGE = 25


@tenant_admin_required
def endpoint_index(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.webhook_endpoint_create(**form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            return _detail_page(request, endpoint=endpoint, secret=endpoint.secret, status=201)
    return render(
        request,
        "webhooks/index.html",
        {"form": form, "endpoints": webhook_endpoint_list()},
        status=400 if form.errors else 200,
    )


@tenant_admin_required
def endpoint_detail(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    form = None
    if request.method == "POST":
        form = EndpointChangeForm(request.POST)
        if form.is_valid():
            try:
                services.webhook_endpoint_update(endpoint=endpoint, **form.cleaned_data)
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(request, _("The endpoint was saved."))
                return redirect("webhooks:detail", pk=endpoint.pk)
    return _detail_page(request, endpoint=endpoint, form=form, status=400 if form else 200)


def _detail_page(request, *, endpoint, form=None, secret: str = "", status: int = 200):
    form = form or EndpointChangeForm(
        initial={
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.events,
            "enabled": endpoint.enabled,
        }
    )
    deliveries = Paginator(webhook_delivery_list(endpoint_id=endpoint.pk), DELIVERIES_PER_PAGE)
    return render(
        request,
        "webhooks/detail.html",
        {
            "endpoint": endpoint,
            "form": form,
            "secret": secret,
            "page": deliveries.get_page(request.GET.get("page")),
        },
        status=status,
    )


@require_POST
@tenant_admin_required
def endpoint_rotate(request, pk: int):
    endpoint = services.webhook_endpoint_rotate_secret(
        endpoint=get_object_or_404(WebhookEndpoint, pk=pk)
    )
    return _detail_page(request, endpoint=endpoint, secret=endpoint.secret)


@tenant_admin_required
def endpoint_delete(request, pk: int):
    """GET asks to confirm and says what will happen (disabling is the reversible way); POST
    deletes."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    if request.method != "POST":
        pending = endpoint.deliveries.filter(status=DeliveryStatus.PENDING).count()
        return render(request, "webhooks/delete.html", {"endpoint": endpoint, "pending": pending})
    services.webhook_endpoint_delete(endpoint=endpoint)
    messages.success(request, _("The endpoint %(url)s was deleted.") % {"url": endpoint.url})
    return redirect("webhooks:index")


@require_POST
@tenant_admin_required
def delivery_redeliver(request, pk: int):
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    services.webhook_delivery_redeliver(delivery=delivery)
    messages.success(request, _("The delivery is being sent again."))
    return redirect("webhooks:detail", pk=delivery.endpoint_id)

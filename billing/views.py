"""Billing pages of a tenant host (`/billing/…`, tenant admins), the public pricing page, and
Stripe's webhook endpoint (public host)."""

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import get_usage
from djstripe.models import WebhookEndpoint

from billing import services
from billing.currencies.selectors import pricing_currency_get
from billing.invoices.selectors import invoice_summaries, invoices_list
from billing.models import LIVE_STATUSES, SubscriptionStatus
from billing.overage.selectors import overage_get
from billing.plan_changes import services as plan_changes
from billing.plan_changes.selectors import plan_change_preview_get, scheduled_change_get
from billing.plans import FREE, PAID_PLANS, PLANS, Currency, Interval, plan_by_code
from billing.selectors import (
    billing_state_get,
    entitlement_get,
    usage_rows,
    usage_warnings,
)
from billing.stripe.webhooks import webhook_delivery_check, webhook_trigger_record
from billing.tax.selectors import reverse_charge_applies
from billing.trials.selectors import trial_available
from loginexus.accounts.permissions import tenant_admin_required
from loginexus.clients import client_address
from loginexus.i18n.formatting import day_long
from loginexus.tenancy.selectors import tenant_url

logger = logging.getLogger(__name__)


def _interval(request) -> Interval:
    value = request.GET.get("interval") or request.POST.get("interval")
    return Interval(value) if value in {i.value for i in Interval} else Interval.MONTH


def _currency(request) -> Currency | None:
    """The currency a link or form asked for (`?currency=eur`), or None when it names none we
    sell in."""
    value = (request.GET.get("currency") or request.POST.get("currency") or "").lower()
    return Currency(value) if value in {c.value for c in Currency} else None


def _currency_switch(currency: Currency, *, fixed: bool = False) -> dict:
    """What the pricing pages' currency switch shows: each currency, the one in force, and
    whether the workspace keeps its currency (then no switch, a note)."""
    return {"currency": currency.value, "currencies": [c.value for c in Currency], "fixed": fixed}


def _chosen_plan(request):
    """The plan and interval a form posted, or None when they name nothing we sell."""
    code = request.POST.get("plan") or request.GET.get("plan")
    if code not in PLANS:
        return None, None
    return plan_by_code(code), _interval(request)


def plan_cards(
    *,
    current_code: str | None,
    interval: Interval,
    has_live_subscription: bool,
    visitor=False,
    currency: Currency = Currency.USD,
):
    """What each plan's card shows (its price in `currency`) and which button it offers:
    checkout, change, current, or (for a visitor of the public site) signup."""
    cards = []
    for plan in PLANS.values():
        if visitor:
            action = "signup"
        elif plan.code == current_code:
            action = "current"
        elif not has_live_subscription:
            action = "checkout" if not plan.is_free else "none"
        else:
            action = "change"
        cards.append(
            {
                "plan": plan,
                "price": plan.amount(interval, currency),
                "currency": currency.value,
                "action": action,
            }
        )
    return cards


@require_GET
def public_pricing(request):
    interval = _interval(request)
    currency = _currency(request) or Currency.USD
    cards = plan_cards(
        current_code=None,
        interval=interval,
        has_live_subscription=False,
        visitor=True,
        currency=currency,
    )
    return render(
        request,
        "billing/public_pricing.html",
        {"cards": cards, "interval": interval, "switch": _currency_switch(currency)},
    )


@tenant_admin_required
@require_GET
def billing_overview(request):
    tenant = connection.tenant
    now = timezone.now()
    state = billing_state_get(tenant=tenant, now=now)
    invoices = list(invoices_list(tenant=tenant)[:12])
    return render(
        request,
        "billing/overview.html",
        {
            "state": state,
            "usage": usage_rows(usage=state.usage),
            "usage_warnings": usage_warnings(usage=state.usage),
            "invoices": invoice_summaries(invoices),
            "reverse_charge": reverse_charge_applies(invoices=invoices),
            "has_live_subscription": state.entitlement.status in LIVE_STATUSES,
            "incomplete": state.entitlement.status == SubscriptionStatus.INCOMPLETE,
            "scheduled_change": scheduled_change_get(tenant=tenant),
            "overage": overage_get(tenant=tenant, now=now, entitlement=state.entitlement),
        },
    )


@tenant_admin_required
@require_GET
def pricing(request):
    tenant = connection.tenant
    state = billing_state_get(tenant=tenant, now=timezone.now())
    interval = _interval(request)
    live = state.entitlement.status in LIVE_STATUSES
    if not live:
        current = "free"
    elif state.entitlement.interval == interval.value:
        current = state.entitlement.subscribed_plan
    else:
        current = None  # shown the other interval, every plan is a change (even the same one)
    currency, fixed = pricing_currency_get(tenant=tenant, requested=_currency(request))
    cards = plan_cards(
        current_code=current, interval=interval, has_live_subscription=live, currency=currency
    )
    return render(
        request,
        "billing/pricing.html",
        {
            "cards": cards,
            "interval": interval,
            "switch": _currency_switch(currency, fixed=fixed),
            "state": state,
            "trial_offer": trial_available(entitlement=state.entitlement),
            "trial_plans": PAID_PLANS,
        },
    )


@tenant_admin_required
@require_POST
def checkout(request):
    plan, interval = _chosen_plan(request)
    if plan is None or plan.is_free:
        messages.error(request, _("Choose a paid plan."))
        return redirect("billing:pricing")
    base = tenant_url(tenant=connection.tenant)
    url, _session_id = services.checkout_start(
        tenant=connection.tenant,
        plan=plan,
        interval=interval,
        success_url=base + "billing/success/?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=base + "billing/canceled/",
        currency=_currency(request),
    )
    return redirect(url)


@tenant_admin_required
def change_plan(request):
    """GET shows what the change costs (due now, the next invoice, when it takes effect: the
    preview of plan_changes); POST confirms it at the previewed proration moment."""
    plan, interval = _chosen_plan(request)
    if plan is None:
        messages.error(request, _("Choose a plan."))
        return redirect("billing:pricing")
    tenant = connection.tenant
    if request.method == "POST":
        proration_date = request.POST.get("proration_date", "")
        try:
            plan_changes.plan_change(
                tenant=tenant,
                plan=plan,
                interval=interval,
                proration_date=int(proration_date) if proration_date.isdigit() else None,
            )
        except ValidationError:
            messages.error(request, _("This price has expired; here is the change as it is now."))
            return redirect(f"{request.path}?plan={plan.code}&interval={interval}")
        messages.success(request, _changed_message(tenant))
        return redirect("billing:overview")
    preview = plan_change_preview_get(tenant=tenant, plan=plan, interval=interval)
    return render(
        request,
        "billing/change_plan.html",
        {
            "plan": plan,
            "interval": interval,
            "preview": preview,
            "free": FREE,
            "period_end": _period_end(tenant) if plan.is_free else None,
            "scheduled_change": scheduled_change_get(tenant=tenant),
        },
    )


def _changed_message(tenant) -> str:
    """What the change did, as the subscription now says: in force now, or scheduled."""
    entitlement = entitlement_get(tenant=tenant)
    if entitlement.cancel_at_period_end:
        return _ended_message(entitlement.period_end)
    scheduled = scheduled_change_get(tenant=tenant)
    if scheduled is not None:
        return _("Changes to %(plan)s on %(day)s; until then nothing changes.") % {
            "plan": scheduled.plan.name,
            "day": day_long(scheduled.at),
        }
    current = plan_by_code(entitlement.subscribed_plan)
    if entitlement.interval == Interval.YEAR:
        return _("You are on %(plan)s, billed yearly.") % {"plan": current.name}
    return _("You are on %(plan)s, billed monthly.") % {"plan": current.name}


def _period_end(tenant):
    return entitlement_get(tenant=tenant).period_end


def _ended_message(period_end) -> str:
    if period_end is None:
        return _("Your subscription ends at the end of this period.")
    return _(
        "Your subscription ends on %(day)s; until then nothing changes. Changed your mind? "
        "Resume it below."
    ) % {"day": day_long(period_end)}


@tenant_admin_required
@require_http_methods(["GET", "POST"])
def cancel(request):
    """GET says what cancelling does (the plan until the period's end, then Free's limits);
    POST cancels at the period's end. Resuming undoes it until then."""
    tenant = connection.tenant
    if request.method == "POST":
        entitlement = services.subscription_cancel_at_period_end(tenant=tenant)
        messages.success(request, _ended_message(entitlement.period_end))
        return redirect("billing:overview")
    entitlement = entitlement_get(tenant=tenant)
    if entitlement.status not in LIVE_STATUSES or entitlement.cancel_at_period_end:
        return redirect("billing:overview")
    return render(
        request,
        "billing/cancel.html",
        {
            "plan": plan_by_code(entitlement.subscribed_plan),
            "period_end": entitlement.period_end,
            "free": FREE,
        },
    )


@tenant_admin_required
@require_POST
def resume(request):
    services.subscription_resume(tenant=connection.tenant)
    messages.success(request, _("Your subscription continues."))
    return redirect("billing:overview")


@tenant_admin_required
@require_POST
def portal(request):
    return_url = tenant_url(tenant=connection.tenant) + "billing/"
    return redirect(services.billing_portal_start(tenant=connection.tenant, return_url=return_url))


@tenant_admin_required
@require_GET
def success(request):
    return render(request, "billing/success.html", {"plans": PLANS.values()})


@tenant_admin_required
@require_GET
def canceled(request):
    return render(request, "billing/canceled.html")


def _refusal_throttled(request) -> int | None:
    """Count a refused delivery against the client's address: past
    settings.STRIPE_WEBHOOK_REFUSALS_PER_IP, the seconds until it may try again, else None."""
    usage = get_usage(
        request,
        group="stripe-webhook-refusals",
        key=lambda group, request: client_address(request),
        rate=settings.STRIPE_WEBHOOK_REFUSALS_PER_IP,
        increment=True,
    )
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, usage["time_left"])


@csrf_exempt
@require_POST
def stripe_webhook(request, endpoint_uuid):
    """Verify and store; processing happens on a worker, so Stripe gets its answer at once.

    Signed deliveries are always taken. Refused ones are stored shortened, and past a number per
    client address not at all, so nobody can fill the table (or staff's screens) with them."""
    endpoint = WebhookEndpoint.objects.filter(djstripe_uuid=endpoint_uuid).first()
    if endpoint is None:
        raise Http404("No such webhook endpoint.")
    delivery = webhook_delivery_check(
        endpoint=endpoint, body=request.body, headers=dict(request.headers)
    )
    if not delivery.valid:
        retry_after = _refusal_throttled(request)
        if retry_after is not None:
            logger.warning(
                "Stripe webhook refusals throttled: address=%s", client_address(request) or "-"
            )
            answer = JsonResponse(
                {
                    "detail": _("Too many refused webhooks from this address."),
                    "code": "rate_limited",
                },
                status=429,
            )
            answer["Retry-After"] = str(retry_after)
            return answer
    webhook_trigger_record(delivery=delivery, remote_ip=client_address(request))
    if not delivery.valid:
        return JsonResponse(
            {"detail": _("Invalid signature or payload."), "code": "invalid_webhook"}, status=400
        )
    return JsonResponse({"received": True})

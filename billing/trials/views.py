"""The trial's page action: the pricing page's "Start a 14-day trial" button posts here."""

from django.contrib import messages
from django.db import connection
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.plans import PAID_PLANS, Interval, plan_by_code
from billing.trials.services import trial_start
from loginexus.accounts.permissions import tenant_admin_required
from loginexus.i18n.formatting import day_long


@tenant_admin_required
@require_POST
def trial(request):
    code = request.POST.get("plan")
    interval = request.POST.get("interval")
    if code not in {plan.code for plan in PAID_PLANS}:
        messages.error(request, _("Choose a paid plan."))
        return redirect("billing:pricing")
    plan = plan_by_code(code)
    entitlement = trial_start(
        tenant=connection.tenant,
        plan=plan,
        interval=Interval(interval) if interval in {i.value for i in Interval} else Interval.MONTH,
    )
    messages.success(
        request,
        _("Your %(plan)s trial runs until %(day)s. Add a card before then to keep the plan.")
        % {"plan": plan.name, "day": day_long(entitlement.trial_end)},
    )
    return redirect("billing:overview")

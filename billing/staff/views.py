"""Pages of the platform admin that are not a model's screens: the platform metrics."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext

from billing.overage.selectors import overage_months
from billing.plans import CURRENCY, Currency
from billing.staff.charts import Series, bar_chart, column_chart
from billing.staff.metrics import fx_to_usd, platform_metrics
from loginexus.i18n.formatting import number
from loginexus.replica import staff_reads


def _fx_note() -> str:
    """ "Converted to USD at fixed rates: 1 EUR = 1.08 USD, 1 GBP = 1.27 USD", in the language."""
    rates = ", ".join(
        gettext("1 %(currency)s = %(rate)s USD")
        % {"currency": currency.upper(), "rate": number(rate)}
        for currency, rate in fx_to_usd().items()
        if currency != Currency.USD
    )
    return gettext("Converted to USD at fixed rates: %(rates)s") % {"rates": rates}


def _platform_metrics(request: HttpRequest) -> HttpResponse:
    metrics = platform_metrics(now=timezone.now())
    months = [movement.label for movement in metrics.months]
    context = {
        **admin.site.each_context(request),
        "title": gettext("Platform metrics"),
        "currency": CURRENCY,
        "metrics": metrics,
        "fx_note": _fx_note(),
        "overage_months": overage_months(using=staff_reads()),
        "movements_chart": column_chart(
            title=gettext("New and churned tenants per month"),
            categories=months,
            series=[
                Series(gettext("New"), [movement.new for movement in metrics.months]),
                Series(gettext("Churned"), [movement.churned for movement in metrics.months]),
            ],
        ),
        "plans_chart": bar_chart(
            title=gettext("Tenants per plan"),
            bars=[(bucket.label, bucket.tenants) for bucket in metrics.tenants_per_plan],
        ),
    }
    return TemplateResponse(request, "admin/billing/metrics.html", context)


# Any active staff member may see the metrics; anyone else is sent to the admin's login.
platform_metrics_view = admin.site.admin_view(staff_member_required(_platform_metrics))

"""Pages of the platform admin that are not a model's screens: the platform metrics."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext

from billing.plans import CURRENCY
from billing.staff.charts import Series, bar_chart, column_chart
from billing.staff.metrics import platform_metrics


def _platform_metrics(request: HttpRequest) -> HttpResponse:
    metrics = platform_metrics(now=timezone.now())
    months = [movement.label for movement in metrics.months]
    context = {
        **admin.site.each_context(request),
        "title": gettext("Platform metrics"),
        "currency": CURRENCY,
        "metrics": metrics,
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

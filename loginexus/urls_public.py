"""URLs of the public host (BASE_DOMAIN): landing, signup, platform admin, health."""

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import path
from django.utils.translation import gettext_lazy as _

from billing.staff.views import platform_metrics_view
from billing.views import public_pricing, stripe_webhook
from loginexus.accounts.identity_views import staff_login
from loginexus.health import healthz
from loginexus.i18n.views import language_switch
from loginexus.tenancy.api import SignupApi, WorkspaceFindApi
from loginexus.tenancy.views import SignupView, WorkspaceFindView, landing

admin.site.site_header = _("LogiNexus platform")
admin.site.site_title = _("LogiNexus platform")
admin.site.index_title = _("Platform administration")

urlpatterns = [
    path("", landing, name="landing"),
    path("language/", language_switch, name="language-switch"),
    path("signup/", SignupView.as_view(), name="signup"),
    path("pricing/", public_pricing, name="pricing"),
    path("api/v1/signup/", SignupApi.as_view(), name="api-signup"),
    path("find/", WorkspaceFindView.as_view(), name="workspaces-find"),
    path("api/v1/workspaces/find/", WorkspaceFindApi.as_view(), name="api-workspaces-find"),
    path("admin/metrics/", platform_metrics_view, name="platform-metrics"),
    # LOGOUT_REDIRECT_URL names the tenant hosts' login page: staff go back to the admin's.
    path("admin/login/", staff_login, name="admin-login"),
    path("admin/logout/", LogoutView.as_view(next_page="admin:login"), name="admin-logout"),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("stripe/webhook/<uuid:endpoint_uuid>/", stripe_webhook, name="stripe-webhook"),
]

handler404 = "loginexus.api.not_found"
handler500 = "loginexus.api.server_error"

"""URLs of a tenant host (<slug>.BASE_DOMAIN): the tenant's pages and its REST API."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from billing.urls import api_urlpatterns as billing_api_urls
from loginexus.accounts.api import MeApi, TokenApi
from loginexus.accounts.views import LoginView, LogoutView
from loginexus.health import healthz
from shipments.views import dashboard

accounts_urls = (
    [
        path("login/", LoginView.as_view(), name="login"),
        path("logout/", LogoutView.as_view(), name="logout"),
    ],
    "accounts",
)

api_v1 = [
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("auth/me/", MeApi.as_view(), name="api-me"),
    path("billing/", include(billing_api_urls)),
]

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("accounts/", include(accounts_urls)),
    path("billing/", include("billing.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz/", healthz, name="healthz"),
]

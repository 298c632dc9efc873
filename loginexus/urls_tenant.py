"""URLs of a tenant host (<slug>.BASE_DOMAIN): the tenant's pages and its REST API."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib.auth.views import LogoutView
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from billing.urls import api_urlpatterns as billing_api_urls
from escrows.api import EscrowViewSet
from loginexus.accounts.api import MeApi, MyTokenApi, TokenApi, UserViewSet
from loginexus.accounts.invitations_api import InvitationViewSet
from loginexus.accounts.views import (
    LoginView,
    invitation,
    login_link,
    profile,
    team,
    team_deactivate,
    team_invitation_resend,
    team_invitation_revoke,
    team_invite,
)
from loginexus.health import healthz
from loginexus.tenancy.workspace_api import WorkspaceApi
from loginexus.tenancy.workspace_views import workspace_settings
from shipments.api import ShipmentViewSet
from shipments.views import dashboard

router = SimpleRouter()
router.register("shipments", ShipmentViewSet, basename="shipment")
router.register("escrows", EscrowViewSet, basename="escrow")
router.register("users", UserViewSet, basename="user")
router.register("invitations", InvitationViewSet, basename="invitation")

accounts_urls = (
    [
        path("login/", LoginView.as_view(), name="login"),
        path("logout/", LogoutView.as_view(), name="logout"),
        path("link/<str:secret>/", login_link, name="login-link"),
        path("profile/", profile, name="profile"),
        path("invitation/<str:secret>/", invitation, name="invitation"),
    ],
    "accounts",
)

api_v1 = [
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("auth/me/", MeApi.as_view(), name="api-me"),
    path("auth/me/token/", MyTokenApi.as_view(), name="api-my-token"),
    path("billing/", include(billing_api_urls)),
    path("workspace/", WorkspaceApi.as_view(), name="api-workspace"),
    *router.urls,
]

# Swagger UI's scripts come from our origin (the split view serves its set-up script from a URL);
# it styles itself with inline <style>, which only this page allows.
api_docs = csp_update({"style-src": [UNSAFE_INLINE]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("accounts/", include(accounts_urls)),
    path("billing/", include("billing.urls")),
    path("shipments/", include("shipments.urls")),
    path("escrows/", include("escrows.urls")),
    path("team/", team, name="team"),
    path("team/<int:pk>/deactivate/", team_deactivate, name="team-deactivate"),
    path("team/invite/", team_invite, name="team-invite"),
    path(
        "team/invitations/<int:pk>/resend/", team_invitation_resend, name="team-invitation-resend"
    ),
    path(
        "team/invitations/<int:pk>/revoke/", team_invitation_revoke, name="team-invitation-revoke"
    ),
    path("settings/", workspace_settings, name="workspace-settings"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("healthz/", healthz, name="healthz"),
]

handler404 = "loginexus.api.not_found"
handler500 = "loginexus.api.server_error"

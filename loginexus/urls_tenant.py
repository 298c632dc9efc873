"""URLs of a tenant host (<slug>.BASE_DOMAIN): the tenant's pages and its REST API."""

from allauth.account import urls as allauth_account_urls
from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from billing.urls import api_urlpatterns as billing_api_urls
from escrows.api import EscrowViewSet
from loginexus.accounts import identity_views
from loginexus.accounts.api import MeApi, MyTokenApi, TokenApi, UserViewSet
from loginexus.accounts.invitations_api import InvitationViewSet
from loginexus.accounts.team_views import (
    team,
    team_deactivate,
    team_invitation_resend,
    team_invitation_revoke,
    team_invite,
    team_reactivate,
    team_role,
)
from loginexus.accounts.views import invitation, login_link, profile
from loginexus.apikeys.api import ApiKeyViewSet
from loginexus.audit.api import AuditLogViewSet
from loginexus.audit.views import audit_log
from loginexus.health import healthz
from loginexus.i18n.views import language_switch
from loginexus.tenancy.workspace_api import WorkspaceApi
from loginexus.tenancy.workspace_views import workspace_settings
from shipments.api import ShipmentViewSet
from shipments.views import dashboard
from webhooks.api import WebhookDeliveryViewSet, WebhookEndpointViewSet

router = SimpleRouter()
router.register("shipments", ShipmentViewSet, basename="shipment")
router.register("escrows", EscrowViewSet, basename="escrow")
router.register("users", UserViewSet, basename="user")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("audit-log", AuditLogViewSet, basename="audit-log")
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("api-keys", ApiKeyViewSet, basename="api-key")

accounts_urls = (
    [
        path("link/<str:secret>/", login_link, name="login-link"),
        path("profile/", profile, name="profile"),
        path("invitation/<str:secret>/", invitation, name="invitation"),
    ],
    "accounts",
)

# django-allauth's pages (login, logout, email, password change and reset, two-factor); the
# product's own versions of a few of them replace allauth's (identity_views).
identity_urls = [
    path("login/", identity_views.login, name="account_login"),
    path("signup/", identity_views.no_signup, name="account_signup"),
    re_path(
        r"^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        identity_views.password_reset_from_key,
        name="account_reset_password_from_key",
    ),
    re_path(
        r"^confirm-email/(?P<key>[-:\w]+)/$",
        identity_views.confirm_email,
        name="account_confirm_email",
    ),
]
_replaced = {route.name for route in identity_urls}
identity_urls += [
    route for route in allauth_account_urls.urlpatterns if route.name not in _replaced
]
identity_urls.append(path("2fa/", include("allauth.mfa.urls")))

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
    path("language/", language_switch, name="language-switch"),
    path("accounts/", include(accounts_urls)),
    path("accounts/", include(identity_urls)),
    path("billing/", include("billing.urls")),
    path("shipments/", include("shipments.urls")),
    path("escrows/", include("escrows.urls")),
    path("settings/audit-log/", audit_log, name="audit-log"),
    path("team/", team, name="team"),
    path("team/<int:pk>/deactivate/", team_deactivate, name="team-deactivate"),
    path("team/<int:pk>/reactivate/", team_reactivate, name="team-reactivate"),
    path("team/<int:pk>/role/", team_role, name="team-role"),
    path("team/invite/", team_invite, name="team-invite"),
    path(
        "team/invitations/<int:pk>/resend/", team_invitation_resend, name="team-invitation-resend"
    ),
    path(
        "team/invitations/<int:pk>/revoke/", team_invitation_revoke, name="team-invitation-revoke"
    ),
    path("settings/", workspace_settings, name="workspace-settings"),
    path("settings/webhooks/", include("webhooks.urls")),
    path("settings/api-keys/", include("loginexus.apikeys.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("healthz/", healthz, name="healthz"),
]

handler404 = "loginexus.api.not_found"
handler500 = "loginexus.api.server_error"

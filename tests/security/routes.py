"""The tenant URL conf as the security sweeps see it: every route, what its path parameters
name, and which routes a stranger may reach. A route missing here fails the sweeps."""

import json
from collections import Counter
from dataclasses import dataclass
from itertools import product
from urllib.parse import urlencode

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from escrows.models import ESCROW_ACTIONS
from tests.conftest import PASSWORD

TENANT_URLCONF = "loginexus.urls_tenant"
METHODS = ("get", "post", "put", "patch", "delete")
UNSAFE_METHODS = METHODS[1:]

# What a path parameter names: an object's id, or one of the escrow actions.
SHIPMENT, ESCROW, USER, ESCROW_ACTION = "shipment", "escrow", "user", "escrow_action"
# A one-time login link's secret: a made-up one unless the sweep holds real ones.
LOGIN_LINK = "login_link"
INVITATION = "invitation"
WEBHOOK_ENDPOINT, WEBHOOK_DELIVERY = "webhook_endpoint", "webhook_delivery"
# Kinds the sweeps may hold no real object of: a made-up id then, which must answer 404.
MADE_UP_IDS = {INVITATION, WEBHOOK_ENDPOINT, WEBHOOK_DELIVERY}
API_KEY = "api_key"

# Every route of the tenant URL conf and what each of its path parameters names.
PARAMETERS: dict[str, dict[str, str]] = {
    "dashboard": {},
    "account_login": {},
    "account_logout": {},
    "language-switch": {},
    "account_signup": {},
    "account_inactive": {},
    "account_reauthenticate": {},
    "account_request_reauthentication_code": {},
    "account_confirm_reauthentication_code": {},
    "account_email": {},
    "account_email_verification_sent": {},
    "account_confirm_email": {"key": LOGIN_LINK},
    "account_change_password": {},
    "account_set_password": {},
    "account_reset_password": {},
    "account_reset_password_done": {},
    "account_reset_password_from_key": {"uidb36": LOGIN_LINK, "key": LOGIN_LINK},
    "account_reset_password_from_key_done": {},
    "account_confirm_login_code": {},
    "mfa_index": {},
    "mfa_authenticate": {},
    "mfa_reauthenticate": {},
    "mfa_activate_totp": {},
    "mfa_deactivate_totp": {},
    "mfa_view_recovery_codes": {},
    "mfa_generate_recovery_codes": {},
    "mfa_download_recovery_codes": {},
    "accounts:login-link": {"secret": LOGIN_LINK},
    "accounts:profile": {},
    "accounts:invitation": {"secret": LOGIN_LINK},
    "billing:overview": {},
    "billing:pricing": {},
    "billing:checkout": {},
    "billing:change": {},
    "billing:cancel": {},
    "billing:resume": {},
    "billing:portal": {},
    "billing:success": {},
    "billing:canceled": {},
    "billing:trial": {},
    "billing:overage": {},
    "shipments:index": {},
    "shipments:new": {},
    "shipments:detail": {"pk": SHIPMENT},
    "shipments:edit": {"pk": SHIPMENT},
    "shipments:transition": {"pk": SHIPMENT},
    "shipments:delete": {"pk": SHIPMENT},
    "escrows:index": {},
    "escrows:new": {},
    "escrows:detail": {"pk": ESCROW},
    "escrows:act": {"pk": ESCROW, "action": ESCROW_ACTION},
    "team": {},
    "audit-log": {},
    "audit-log-list": {},
    "team-deactivate": {"pk": USER},
    "team-reactivate": {"pk": USER},
    "team-role": {"pk": USER},
    "team-invite": {},
    "team-invitation-resend": {"pk": INVITATION},
    "team-invitation-revoke": {"pk": INVITATION},
    "workspace-settings": {},
    "webhooks:index": {},
    "webhooks:detail": {"pk": WEBHOOK_ENDPOINT},
    "webhooks:rotate": {"pk": WEBHOOK_ENDPOINT},
    "webhooks:delete": {"pk": WEBHOOK_ENDPOINT},
    "webhooks:redeliver": {"pk": WEBHOOK_DELIVERY},
    "apikeys:index": {},
    "apikeys:revoke": {"pk": API_KEY},
    "api-token": {},
    "api-me": {},
    "api-my-token": {},
    "api-billing": {},
    "api-billing-plans": {},
    "api-billing-checkout": {},
    "api-billing-change-plan": {},
    "api-billing-change-plan-preview": {},
    "api-billing-cancel": {},
    "api-billing-resume": {},
    "api-billing-portal": {},
    "api-billing-invoices": {},
    "api-billing-trial": {},
    "api-workspace": {},
    "shipment-list": {},
    "shipment-export": {},
    "shipment-detail": {"pk": SHIPMENT},
    "escrow-list": {},
    "escrow-export": {},
    "escrow-detail": {"pk": ESCROW},
    "escrow-fund": {"pk": ESCROW},
    "escrow-release": {"pk": ESCROW},
    "escrow-refund": {"pk": ESCROW},
    "escrow-dispute": {"pk": ESCROW},
    "user-list": {},
    "user-detail": {"pk": USER},
    "invitation-list": {},
    "invitation-detail": {"pk": INVITATION},
    "invitation-resend": {"pk": INVITATION},
    "webhook-endpoint-list": {},
    "webhook-endpoint-detail": {"pk": WEBHOOK_ENDPOINT},
    "webhook-endpoint-rotate-secret": {"pk": WEBHOOK_ENDPOINT},
    "webhook-delivery-list": {},
    "webhook-delivery-detail": {"pk": WEBHOOK_DELIVERY},
    "webhook-delivery-redeliver": {"pk": WEBHOOK_DELIVERY},
    "api-key-list": {},
    "api-key-detail": {"pk": API_KEY},
    "api-schema": {},
    "api-docs": {},
    "healthz": {},
}

# Routes anyone may reach without logging in, and every status they may answer a stranger
# (a redirect must lead to the host's own login page).
OPEN_ROUTES: dict[str, set[int]] = {
    # The login and the token API share one throttle per account: a sweep that tries A's admin on
    # B's host with several credentials may meet it (429), which refuses as well as a 200 page.
    "account_login": {200, 405, 429},
    "account_logout": {302, 405},
    "language-switch": {302, 405},
    "account_signup": {404, 405},
    "account_inactive": {200, 405},
    "account_email_verification_sent": {200, 405},
    "account_confirm_email": {404, 405},
    "account_reset_password": {200, 405},
    "account_reset_password_done": {200, 405},
    "account_reset_password_from_key": {404, 405},
    "account_reset_password_from_key_done": {200, 405},
    "accounts:login-link": {404, 405},
    "accounts:invitation": {404, 405},
    "api-token": {400, 405, 429},
    "api-schema": {200, 401, 405},
    "api-docs": {200, 401, 405},
    "healthz": {200, 405},
}

# Where an open route may send a stranger other than the login page: a reset request answers
# "check your inbox" whoever asks (and sends nothing for an address the host does not know).
# The language switcher sends anybody back to the page they came from (the host's own only).
OPEN_REDIRECTS: dict[str, str] = {
    "account_reset_password": "/accounts/password/reset/done/",
    "language-switch": "/",
}

# Routes whose request body names an object (the shipment an escrow secures).
BODY_NAMES_AN_OBJECT = {"escrows:new", "escrow-list"}

# The one route that takes no cookie authentication at all, so it needs no CSRF token.
CSRF_FREE_ROUTES = {"api-token"}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    parameters: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, pattern, inner)
        elif isinstance(entry, URLPattern):
            yield Route(
                name=f"{namespace}{entry.name}",
                pattern=pattern.replace("^", "").replace("$", ""),
                parameters=tuple(sorted(entry.pattern.regex.groupindex)),
            )


def tenant_routes() -> list[Route]:
    """Every route of the tenant URL conf, however deeply included."""
    return list(_walk(get_resolver(TENANT_URLCONF).url_patterns))


def uncatalogued(routes: list[Route]) -> list[str]:
    """What the sweeps could not fill: routes missing from PARAMETERS (or gone from the URL
    conf), and routes whose path parameters differ from what PARAMETERS says."""
    problems = [
        f"{r.name} ({r.pattern}): not in PARAMETERS" for r in routes if r.name not in PARAMETERS
    ]
    names = {route.name for route in routes}
    problems += [
        f"{name}: in PARAMETERS but no longer routed" for name in PARAMETERS if name not in names
    ]
    problems += [
        f"{r.name} ({r.pattern}): parameters {r.parameters}, PARAMETERS names "
        f"{tuple(sorted(PARAMETERS[r.name]))}"
        for r in routes
        if r.name in PARAMETERS and r.parameters != tuple(sorted(PARAMETERS[r.name]))
    ]
    # reverse() reaches one pattern per name: a second pattern under a name would go unswept.
    counts = Counter(route.name for route in routes)
    problems += [
        f"{name}: {count} routes of this name" for name, count in counts.items() if count > 1
    ]
    unnamed = [r.pattern for r in routes if not r.name or r.name.endswith("None")]
    problems += [f"{pattern}: a route without a name" for pattern in unnamed]
    return problems


def filled_paths(route: Route, ids: dict[str, list[int]]) -> list[str]:
    """The route's paths with its parameters filled by every combination of `ids`."""
    kinds = PARAMETERS[route.name]
    if not kinds:
        return [reverse(route.name, urlconf=TENANT_URLCONF)]
    values = {
        name: list(ESCROW_ACTIONS)
        if kind == ESCROW_ACTION
        else ids.get(kind, ["nosuchlink"])
        if kind == LOGIN_LINK
        else ids.get(kind, [9170999])
        if kind in MADE_UP_IDS
        else ids[kind]
        for name, kind in kinds.items()
    }
    names = sorted(values)
    return [
        reverse(route.name, urlconf=TENANT_URLCONF, kwargs=dict(zip(names, combo, strict=True)))
        for combo in product(*(values[name] for name in names))
    ]


def acting_body(*, shipment: int, email: str) -> dict:
    """A body that every form and endpoint of the tenant URL conf would act on (create, edit,
    move, open an escrow for `shipment`, add `email` as an admin, log in as it, change plan,
    rename the workspace and change its billing details, make an API key)."""
    return {
        "reference": "ACTED-1", "origin": "Acted", "destination": "Acted", "carrier": "Acted",
        "weight_kg": "1.000", "status": "cancelled",
        "shipment": shipment, "buyer": "Acted", "seller": "Acted", "amount": "1.00",
        "currency": "EUR",
        "email": email, "login": email, "username": email, "password": PASSWORD,
        "role": "admin", "is_active": False, "plan": "free", "interval": "month",
        "name": "Acted", "billing_email": email, "language": "de", "time_zone": "Asia/Tokyo",
        "billing_address": {"line1": "Acted", "country": "DE"}, "billing_address_line1": "Acted",
        "billing_address_country": "DE", "tax_id": {"type": "eu_vat", "value": "DE123456789"},
        "tax_id_type": "eu_vat", "tax_id_value": "DE123456789",
        "scopes": ["shipments:write"],
    }  # fmt: skip


def send(client, method: str, path: str, *, route: Route, body: dict | None = None, **extra):
    """One request: JSON for the API, a form body for pages."""
    if method == "get":
        return client.get(path, **extra)
    if route.is_api:
        data, content_type = json.dumps(body or {}), "application/json"
    else:
        data, content_type = urlencode(body or {}), "application/x-www-form-urlencoded"
    return client.generic(method.upper(), path, data, content_type=content_type, **extra)


def body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", errors="replace")

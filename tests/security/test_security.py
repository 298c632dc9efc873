"""Forged requests, secrets in answers, the production profile's cookies, and rate limits.

CSRF: every route of the tenant URL conf refuses POST, PUT, PATCH and DELETE from a logged-in
admin that carry no CSRF token (403, nothing changed; the token endpoint alone reads no cookie),
and every page form (signup, login, logout, shipments, escrows, team, billing, the admin's login,
logout and staff actions) carries a token, refuses a post without it and nothing changes, and
takes the same post with it.

Secrets: no answer (every tenant page and API endpoint, the OpenAPI schema and docs, the public
pages, every admin screen, error answers, the webhook endpoint) carries SECRET_KEY, the Stripe
secret key, a webhook endpoint's signing secret or the database password (when one is set), in
its body or its headers.

On the current URL confs: 432 requests in the CSRF sweep plus 26 page forms (each a forged post
and its genuine twin), and 291 answers searched for 4 secrets (158 on the tenant host, 133 on
the public host and admin); each sweep prints its count and asserts a floor.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone
from django_tenants.utils import schema_context
from djstripe.models import APIKey, Customer, Invoice, WebhookEndpoint

from billing.models import Entitlement
from billing.services import subscription_cancel_at_period_end
from billing.stripe.catalog import plans_sync, webhook_endpoint_ensure
from escrows.models import Escrow
from loginexus.apikeys.models import ApiKey
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.services import tenant_suspend
from shipments.models import Shipment
from tests.conftest import (
    PASSWORD,
    admin_of,
    host_client,
    logged_in,
    make_escrow,
    make_shipment,
    on_plan,
    staff_member,
    tenant_user,
)
from tests.security.routes import (
    API_KEY,
    CSRF_FREE_ROUTES,
    ESCROW,
    SHIPMENT,
    TENANT_URLCONF,
    UNSAFE_METHODS,
    USER,
    acting_body,
    body_text,
    filled_paths,
    send,
    tenant_routes,
    uncatalogued,
)
from tests.security.state import state_of
from tests.security.subscriptions import paying
from tests.test_settings import PRODUCTION_ENV, run_django

pytestmark = pytest.mark.django_db

A_HOST = "alpha.localhost"
PUBLIC_HOST = "localhost"
PUBLIC_URLCONF = "loginexus.urls_public"
CSRF_FLOOR = 200
SECRET_FLOOR = 100
STRONG_PASSWORD = "a-long-Passw0rd-nobody-guesses"


@dataclass
class Alpha:
    """Tenant A with something of everything: shipments, escrows, a member."""

    tenant: Tenant
    draft: int
    booked: int
    delivered: int
    escrow: int
    funded_escrow: int
    member: int
    api_key: int

    @property
    def ids(self) -> dict[str, list[int]]:
        return {
            SHIPMENT: [self.draft, self.booked, self.delivered],
            ESCROW: [self.escrow, self.funded_escrow],
            USER: [self.member],
            API_KEY: [self.api_key],
        }


@pytest.fixture
def alpha(tenant_a) -> Alpha:
    booked = make_shipment(tenant_a, status="booked")
    delivered = make_shipment(tenant_a, status="delivered")
    return Alpha(
        tenant=tenant_a,
        draft=make_shipment(tenant_a).pk,
        booked=booked.pk,
        delivered=delivered.pk,
        escrow=make_escrow(tenant_a, shipment=booked).pk,
        funded_escrow=make_escrow(tenant_a, shipment=delivered, status="funded").pk,
        member=tenant_user(tenant_a, email="member@alpha.example").pk,
        api_key=api_key_of(tenant_a),
    )


def api_key_of(tenant: Tenant) -> int:
    from loginexus.apikeys.services import api_key_create

    with schema_context(tenant.schema_name):
        return api_key_create(
            name="Alpha ERP", scopes=["shipments:read"], created_by=admin_of(tenant)
        ).api_key.pk


def csrf_client(host: str) -> Client:
    """A browser that, like a real one, gets no CSRF pass: a forged post comes without a token."""
    return Client(enforce_csrf_checks=True, HTTP_HOST=host)


def refused_for_csrf(response) -> bool:
    """403 for want of a CSRF token (Django's page, or DRF's detail however it is rendered),
    not for anything else."""
    detail = str((getattr(response, "data", None) or {}).get("detail", ""))
    return response.status_code == 403 and (
        b"CSRF verification failed" in response.content or detail.startswith("CSRF Failed")
    )


# CSRF: every route of the tenant URL conf


def test_every_tenant_route_refuses_unsafe_requests_without_a_csrf_token(alpha, tenant_a):
    routes = tenant_routes()
    assert not uncatalogued(routes)
    assert {route.name for route in routes} >= CSRF_FREE_ROUTES
    # The token endpoint reads no cookie, so a forged post gains nothing from the victim's.
    assert (
        resolve("/api/v1/auth/token/", urlconf=TENANT_URLCONF).func.cls.authentication_classes == []
    )
    client = logged_in(csrf_client(A_HOST), tenant_a, admin_of(tenant_a))
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    body = acting_body(shipment=alpha.draft, email="forged@alpha.example")
    baseline = state_of(tenant_a)
    checks, failures = 0, []
    for route in routes:
        if route.name in CSRF_FREE_ROUTES:
            continue
        for path in filled_paths(route, alpha.ids):
            for method in UNSAFE_METHODS:
                client.cookies.clear()
                client.cookies[settings.SESSION_COOKIE_NAME] = session_key
                response = send(client, method, path, route=route, body=body)
                checks += 1
                where = f"{method.upper()} {path} ({route.name})"
                if not refused_for_csrf(response):
                    failures.append(f"{where} answers {response.status_code} without a token")
                now = state_of(tenant_a)
                if now != baseline:
                    changed = sorted(key for key in now if now[key] != baseline.get(key))
                    failures.append(f"{where} changed {changed}")
                    baseline = now
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    assert client.get("/api/v1/auth/me/").status_code == 200  # the session was live throughout
    print(f"CSRF on tenant routes: {checks} checks")
    assert not failures, "\n".join(failures)
    assert checks >= CSRF_FLOOR


# CSRF: each page form carries a token, refuses a post without it, takes one with it


@dataclass
class Context:
    client: Client
    tenant: Tenant
    alpha: Alpha
    extra: dict = field(default_factory=dict)


def in_a(model, **lookup):
    """Whether tenant A has such a row."""
    with schema_context(Tenant.objects.get(slug="alpha").schema_name):
        return model.objects.filter(**lookup).exists()


def entitlement_of(tenant: Tenant) -> Entitlement | None:
    return Entitlement.objects.filter(tenant=tenant).first()


def me_is_logged_in(ctx: Context, response) -> bool:
    return ctx.client.get("/api/v1/auth/me/").status_code == 200


def admin_is_open(ctx: Context, response) -> bool:
    return ctx.client.get("/admin/").status_code == 200


@dataclass(frozen=True)
class PageForm:
    name: str
    page: str
    action: str
    data: dict
    done: Callable[[Context, object], bool]
    who: str = "admin"  # "admin" or "anonymous" on A's host; "staff" or "visitor" on the public
    paying: bool = False
    setup: Callable[[Context], None] | None = None
    answers: tuple[int, ...] = (200, 302)  # to the genuine post

    @property
    def host(self) -> str:
        return PUBLIC_HOST if self.who in {"staff", "visitor"} else A_HOST


SHIPMENT_FIELDS = {
    "origin": "Antwerp",
    "destination": "Basel",
    "carrier": "DHL",
    "weight_kg": "3.000",
}
STAFF_ACTION = "/admin/tenancy/tenant/{tenant}/staff-action/{action}/"


def staff_action(action: str, data: dict, done, setup=None) -> PageForm:
    path = STAFF_ACTION.replace("{action}", action)
    return PageForm(f"staff-{action}", path, path, data, done, who="staff", setup=setup)


def _past_due(ctx: Context) -> None:
    on_plan(ctx.tenant, "pro", status="past_due", grace_until=timezone.now() + timedelta(days=1))


def _on_comp(ctx: Context) -> None:
    on_plan(ctx.tenant, "free", status="none", comp_plan="pro", comp_until=ctx.extra["later"])


def _suspended(ctx: Context) -> None:
    tenant_suspend(tenant=ctx.tenant, reason="Chargeback review")


def _cancelling(ctx: Context) -> None:
    subscription_cancel_at_period_end(tenant=ctx.tenant)


def _suspended_now(ctx: Context) -> bool:
    return Tenant.objects.get(pk=ctx.tenant.pk).is_suspended


PAGE_FORMS = [
    PageForm(
        "login", "/accounts/login/", "/accounts/login/",
        {"login": "admin@alpha.example", "password": PASSWORD}, me_is_logged_in,
        who="anonymous",
    ),
    PageForm(
        "logout", "/", "/accounts/logout/", {},
        lambda ctx, response: not me_is_logged_in(ctx, response),
    ),
    PageForm(
        "shipment-create", "/shipments/new/", "/shipments/new/",
        {"reference": "FORM-NEW-1", **SHIPMENT_FIELDS},
        lambda ctx, response: in_a(Shipment, reference="FORM-NEW-1"),
    ),
    PageForm(
        "shipment-edit", "/shipments/{draft}/edit/", "/shipments/{draft}/edit/",
        {"reference": "FORM-EDITED-1", **SHIPMENT_FIELDS},
        lambda ctx, response: in_a(Shipment, reference="FORM-EDITED-1"),
    ),
    PageForm(
        "shipment-transition", "/shipments/{draft}/", "/shipments/{draft}/status/",
        {"status": "booked"},
        lambda ctx, response: in_a(Shipment, pk=ctx.alpha.draft, status="booked"),
    ),
    PageForm(
        "shipment-delete", "/shipments/{draft}/delete/", "/shipments/{draft}/delete/", {},
        lambda ctx, response: not in_a(Shipment, pk=ctx.alpha.draft),
    ),
    PageForm(
        "escrow-create", "/escrows/new/", "/escrows/new/",
        {"shipment": "{draft}", "buyer": "Form Buyer", "seller": "Form Seller",
         "amount": "10.00", "currency": "EUR"},
        lambda ctx, response: in_a(Escrow, buyer="Form Buyer"),
    ),
    PageForm(
        "escrow-transition", "/escrows/{escrow}/", "/escrows/{escrow}/fund/", {},
        lambda ctx, response: in_a(Escrow, pk=ctx.alpha.escrow, status="funded"),
    ),
    PageForm(
        "team-add", "/team/", "/team/",
        {"email": "form-new@alpha.example", "password": STRONG_PASSWORD, "role": "member"},
        lambda ctx, response: in_a(get_user_model(), email="form-new@alpha.example"),
    ),
    PageForm(
        "team-update", "/team/{member}/deactivate/", "/team/{member}/deactivate/", {},
        lambda ctx, response: in_a(get_user_model(), pk=ctx.alpha.member, is_active=False),
    ),
    PageForm(
        "workspace-settings", "/settings/", "/settings/",
        {"name": "Form Renamed", "billing_email": "billing@alpha.example", "language": "en",
         "time_zone": "UTC"},
        lambda ctx, response: Tenant.objects.get(pk=ctx.tenant.pk).name == "Form Renamed",
    ),
    PageForm(
        "api-key-create", "/settings/api-keys/", "/settings/api-keys/",
        {"name": "Form key", "scopes": "audit:read"},
        lambda ctx, response: in_a(ApiKey, name="Form key"),
        answers=(201,),
    ),
    PageForm(
        "api-key-revoke", "/settings/api-keys/{api_key}/revoke/",
        "/settings/api-keys/{api_key}/revoke/", {},
        lambda ctx, response: in_a(ApiKey, pk=ctx.alpha.api_key, revoked_at__isnull=False),
    ),
    PageForm(
        "billing-checkout", "/billing/pricing/", "/billing/checkout/",
        {"plan": "pro", "interval": "month"},
        lambda ctx, response: Customer.objects.filter(subscriber=ctx.tenant).exists(),
    ),
    PageForm(
        "billing-portal", "/billing/", "/billing/portal/", {},
        lambda ctx, response: "/portal/" in response.get("Location", ""),
        paying=True,
    ),
    PageForm(
        "billing-cancel", "/billing/cancel/", "/billing/cancel/", {},
        lambda ctx, response: entitlement_of(ctx.tenant).cancel_at_period_end,
        paying=True,
    ),
    PageForm(
        "billing-resume", "/billing/", "/billing/resume/", {},
        lambda ctx, response: not entitlement_of(ctx.tenant).cancel_at_period_end,
        paying=True, setup=_cancelling,
    ),
    PageForm(
        "billing-change-plan", "/billing/change/?plan=enterprise&interval=month",
        "/billing/change/", {"plan": "enterprise", "interval": "month"},
        lambda ctx, response: entitlement_of(ctx.tenant).subscribed_plan == "enterprise",
        paying=True,
    ),
    PageForm(
        "signup", "/signup/", "/signup/",
        {"company": "Forged Co", "slug": "forged-co", "email": "admin@forged.example",
         "password": STRONG_PASSWORD},
        lambda ctx, response: Tenant.objects.filter(slug="forged-co").exists(),
        who="visitor",
    ),
    PageForm(
        "admin-login", "/admin/login/", "/admin/login/",
        {"username": "staff@loginexus.example", "password": PASSWORD}, admin_is_open,
        who="visitor", setup=lambda ctx: staff_member(permissions=("tenancy.view_tenant",)),
    ),
    PageForm(
        "admin-logout", "/admin/", "/admin/logout/", {},
        lambda ctx, response: not admin_is_open(ctx, response),
        who="staff", answers=(302,),
    ),
    staff_action(
        "resync", {},
        lambda ctx, response: LogEntry.objects.filter(object_id=str(ctx.tenant.pk)).exists(),
    ),
    staff_action(
        "extend-grace", {"until": "{until}"},
        lambda ctx, response: entitlement_of(ctx.tenant).grace_until > ctx.extra["next_week"],
        setup=_past_due,
    ),
    staff_action(
        "comp", {"plan": "pro", "until": "{until}"},
        lambda ctx, response: (entitlement_of(ctx.tenant) or Entitlement()).comp_plan == "pro",
    ),
    staff_action(
        "end-comp", {}, lambda ctx, response: not entitlement_of(ctx.tenant).comp_plan,
        setup=_on_comp,
    ),
    staff_action(
        "suspend", {"reason": "Forged"}, lambda ctx, response: _suspended_now(ctx),
    ),
    staff_action(
        "unsuspend", {}, lambda ctx, response: not _suspended_now(ctx), setup=_suspended,
    ),
]  # fmt: skip


FORM_TAG = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def token_of_form(html: str, *, page: str, action: str) -> str:
    """The CSRF token inside the page's POST form that posts to `action`."""
    for attributes, inner in FORM_TAG.findall(html):
        if not re.search(r'method="post"', attributes, re.I):
            continue
        target = re.search(r'action="([^"]*)"', attributes)
        posts_to = urlsplit(target.group(1) if target and target.group(1) else page).path
        if posts_to == urlsplit(action).path:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', inner)
            assert token, f"the form posting to {action} on {page} carries no CSRF token"
            return token.group(1)
    raise AssertionError(f"{page} shows no form posting to {action}")


def what_may_change(tenant: Tenant) -> dict:
    return {
        "tenant": state_of(tenant),
        "tenants": sorted(Tenant.objects.values_list("slug", flat=True)),
        "log": LogEntry.objects.count(),
    }


@pytest.mark.parametrize("form", PAGE_FORMS, ids=lambda form: form.name)
def test_page_form_carries_a_csrf_token_and_refuses_a_post_without_it(
    form, alpha, tenant_a, sim, stripe_module
):
    plans_sync()
    if form.paying:
        paying(tenant_a)
    now = timezone.now()
    ctx = Context(
        client=csrf_client(form.host),
        tenant=tenant_a,
        alpha=alpha,
        extra={"next_week": now + timedelta(days=7), "later": now + timedelta(days=30)},
    )
    if form.setup:
        form.setup(ctx)
    if form.who == "admin":
        logged_in(ctx.client, tenant_a, admin_of(tenant_a))
    elif form.who == "staff":
        ctx.client.force_login(
            get_user_model().objects.create_superuser("root@loginexus.example", PASSWORD)
        )
    values = {
        "tenant": tenant_a.pk,
        "draft": alpha.draft,
        "escrow": alpha.escrow,
        "member": alpha.member,
        "api_key": alpha.api_key,
        "until": (now + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
    }
    page, action = form.page.format(**values), form.action.format(**values)
    data = {name: str(value).format(**values) for name, value in form.data.items()}

    shown = ctx.client.get(page)
    assert shown.status_code == 200, shown.status_code
    token = token_of_form(body_text(shown), page=page, action=action)

    before = what_may_change(tenant_a)
    forged = ctx.client.post(action, data)
    assert refused_for_csrf(forged), forged.status_code
    assert what_may_change(tenant_a) == before
    assert not form.done(ctx, forged)

    ctx.client.raise_request_exception = False
    genuine = ctx.client.post(action, {**data, "csrfmiddlewaretoken": token})
    assert genuine.status_code in form.answers, genuine.status_code
    assert form.done(ctx, genuine), "the same post with its token did not take effect"


def test_admin_logout_answers_a_redirect_not_a_server_error(superuser_client):
    assert superuser_client.get("/admin/").status_code == 200
    superuser_client.raise_request_exception = False
    response = superuser_client.post("/admin/logout/")
    assert response.status_code in (200, 302)
    assert superuser_client.get("/admin/").status_code == 302


def test_every_staff_action_has_a_csrf_case():
    from loginexus.tenancy.admin import STAFF_ACTIONS

    covered = {form.name.removeprefix("staff-") for form in PAGE_FORMS if form.who == "staff"}
    assert set(STAFF_ACTIONS) <= covered


# Secrets


def secrets_to_hide() -> dict[str, str]:
    secrets = {
        "SECRET_KEY": settings.SECRET_KEY,
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": settings.STRIPE_WEBHOOK_SECRET,
        "database password": settings.DATABASES["default"].get("PASSWORD", ""),
    }
    for endpoint in WebhookEndpoint.objects.all():
        secrets[f"secret of webhook endpoint {endpoint.id}"] = endpoint.secret
    for key in APIKey.objects.exclude(type="publishable"):
        secrets[f"Stripe API key {key.id}"] = key.secret
    return {name: value for name, value in secrets.items() if value}


class SecretWatch:
    def __init__(self):
        self.secrets = secrets_to_hide()
        assert {"SECRET_KEY", "STRIPE_SECRET_KEY"} <= set(self.secrets)
        assert any(name.startswith("secret of webhook endpoint") for name in self.secrets)
        # A secret shown in part (its tail) gives it away as well as the whole.
        self.needles: dict[str, set[str]] = {}
        for name, value in self.secrets.items():
            for needle in {value, value[-16:] if len(value) >= 24 else value}:
                self.needles.setdefault(needle, set()).add(name)
        # dj-stripe keeps the Stripe secret key as an APIKey row too.
        self.stripe_key_names = {
            name for name, value in self.secrets.items() if value == settings.STRIPE_SECRET_KEY
        }
        self.checks = 0
        self.leaks: list[tuple[str, set[str]]] = []
        self.server_errors: list[str] = []  # their bodies prove nothing either way

    def check(self, response, where: str) -> None:
        self.checks += 1
        if response.status_code >= 500:
            self.server_errors.append(where)
        text = body_text(response) + "\n".join(
            f"{header}: {value}" for header, value in response.items()
        )
        text += response.cookies.output()
        shown = {name for needle, names in self.needles.items() if needle in text for name in names}
        if shown:
            self.leaks.append((where, shown))

    def finish(self, floor: int, label: str, *, known_leak=None, known_broken=None) -> None:
        print(f"{label}: {self.checks} checks of {len(self.secrets)} secrets")
        leaks = [leak for leak in self.leaks if not (known_leak and known_leak(*leak))]
        assert not leaks, "\n".join(f"{where} shows {sorted(names)}" for where, names in leaks)
        broken = [
            where for where in self.server_errors if not (known_broken and known_broken(where))
        ]
        assert not broken, f"server errors: {broken}"
        assert self.checks >= floor


@pytest.fixture
def webhook_endpoint(sim, stripe_module) -> WebhookEndpoint:
    endpoint = webhook_endpoint_ensure(base_url="http://localhost:8000")
    assert endpoint.secret
    return endpoint


def test_no_secret_in_any_tenant_page_or_api_answer(alpha, tenant_a, webhook_endpoint):
    paying(tenant_a)
    watch = SecretWatch()
    admin = logged_in(host_client(A_HOST), tenant_a, admin_of(tenant_a))
    token = admin.post(
        "/api/v1/auth/token/",
        {"email": "admin@alpha.example", "password": PASSWORD},
        content_type="application/json",
    )
    watch.check(token, "POST /api/v1/auth/token/")
    by_token = host_client(A_HOST, HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    for route in tenant_routes():
        for path in filled_paths(route, alpha.ids):
            watch.check(admin.get(path), f"admin GET {path}")
            if route.is_api:
                watch.check(by_token.get(path), f"token GET {path}")
    member = logged_in(
        host_client(A_HOST), tenant_a, tenant_user(tenant_a, email="reader@alpha.example")
    )
    for path, client, where in [
        ("/billing/change/?plan=enterprise&interval=year", admin, "admin"),
        ("/billing/pricing/?interval=year", admin, "admin"),
        ("/no-such-page/", admin, "admin"),
        ("/api/v1/no-such-endpoint/", admin, "admin"),
        ("/api/v1/shipments/999999/", by_token, "token"),
        ("/api/v1/shipments/?status=nonsense", by_token, "token"),
        ("/billing/", member, "member"),
        ("/api/v1/users/", member, "member"),
        ("/api/v1/shipments/", host_client(A_HOST), "anonymous"),
        ("/api/v1/shipments/", host_client(A_HOST, HTTP_AUTHORIZATION="Token no"), "bad token"),
    ]:
        watch.check(client.get(path), f"{where} GET {path}")
    watch.check(
        by_token.post("/api/v1/shipments/", "{oops", content_type="application/json"),
        "token POST malformed JSON",
    )
    watch.check(
        admin.post(f"/shipments/{alpha.delivered}/status/", {"status": "draft"}),
        "admin POST an illegal transition",
    )
    watch.check(
        by_token.post(
            "/api/v1/billing/checkout/",
            {"plan": "pro", "interval": "month"},
            content_type="application/json",
        ),
        "token POST checkout with a live subscription",
    )
    watch.finish(SECRET_FLOOR, "secrets on tenant hosts")


def _admin_url(name: str, *args, **kwargs) -> str:
    return reverse(f"admin:{name}", args=args, kwargs=kwargs, urlconf=PUBLIC_URLCONF)


def admin_screens(tenant: Tenant) -> list[str]:
    """The admin's index, each app's index, and each registered model's list, add page and the
    change page of one of its objects; the staff action pages of `tenant`. Apps that live in
    tenant schemas alone have no tables on the public host (the admin's index says "Not
    available for global schema" and links none of them)."""
    from loginexus.tenancy.admin import STAFF_ACTIONS

    tenant_only = set(settings.TENANT_APPS) - set(settings.SHARED_APPS)
    paths = [_admin_url("index")]
    labels = set()
    for model in admin.site._registry:
        if model._meta.app_config.name in tenant_only:
            continue
        prefix = f"{model._meta.app_label}_{model._meta.model_name}"
        labels.add(model._meta.app_label)
        paths += [_admin_url(f"{prefix}_changelist"), _admin_url(f"{prefix}_add")]
        first = model._default_manager.first()
        if first is not None:
            paths.append(_admin_url(f"{prefix}_change", first.pk))
    paths += [_admin_url("app_list", app_label=label) for label in sorted(labels)]
    paths += [STAFF_ACTION.format(tenant=tenant.pk, action=action) for action in STAFF_ACTIONS]
    return paths


def test_no_secret_on_the_public_site_or_in_the_admin(tenant_a, webhook_endpoint, superuser_client):
    paying(tenant_a)
    on_plan(tenant_a, "pro", status="past_due", grace_until=timezone.now() + timedelta(days=1))
    watch = SecretWatch()
    visitor = host_client(PUBLIC_HOST)
    for path in ("/", "/signup/", "/pricing/", "/pricing/?interval=year", "/healthz/",
                 "/admin/login/", "/no-such-page/"):  # fmt: skip
        watch.check(visitor.get(path), f"visitor GET {path}")
    watch.check(visitor.post("/signup/", {"slug": "www"}), "visitor POST a bad signup")
    watch.check(
        visitor.post("/api/v1/signup/", {"slug": "www"}, content_type="application/json"),
        "visitor POST a bad signup to the API",
    )
    webhook = f"/stripe/webhook/{webhook_endpoint.djstripe_uuid}/"
    watch.check(
        visitor.post(
            webhook, '{"id": "evt_1", "type": "invoice.paid"}', content_type="application/json",
            HTTP_STRIPE_SIGNATURE="t=1,v1=forged",
        ),
        "POST a forged webhook",
    )  # fmt: skip
    superuser_client.raise_request_exception = False
    for path in admin_screens(tenant_a):
        response = superuser_client.get(path)
        assert response.status_code in (200, 302, 403), (path, response.status_code)
        watch.check(response, path)
    watch.finish(SECRET_FLOOR, "secrets on the public host")


# dj-stripe's own screens show every model property (the API key among them) and read keys the
# current API moved; billing/stripe_admin.py makes them safe.


def test_admin_change_pages_of_stripe_objects_do_not_show_the_stripe_secret_key(
    tenant_a, superuser_client, sim, stripe_module
):
    stripe_ids = paying(tenant_a)
    customer = Customer.objects.get(id=stripe_ids["customer"])
    page = superuser_client.get(f"/admin/djstripe/customer/{customer.pk}/change/")
    assert page.status_code == 200
    assert stripe_ids["customer"] in page.content.decode()
    assert settings.STRIPE_SECRET_KEY not in page.content.decode()


def test_staff_can_list_and_open_invoices_in_the_admin(
    tenant_a, superuser_client, sim, stripe_module
):
    invoice = Invoice.objects.get(id=paying(tenant_a)["invoice"])
    superuser_client.raise_request_exception = False
    assert superuser_client.get("/admin/djstripe/invoice/").status_code == 200
    assert superuser_client.get(f"/admin/djstripe/invoice/{invoice.pk}/change/").status_code == 200


def test_staff_can_open_a_webhook_endpoint_in_the_admin(webhook_endpoint, superuser_client):
    superuser_client.raise_request_exception = False
    page = superuser_client.get(f"/admin/djstripe/webhookendpoint/{webhook_endpoint.pk}/change/")
    assert page.status_code == 200


# The production profile (tests/test_settings.py already runs check --deploy on it)


def test_production_keeps_session_and_csrf_cookies_on_their_own_host():
    """A cookie for `.BASE_DOMAIN` would carry one tenant's session to every tenant's host."""
    result = run_django(
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_DOMAIN, s.CSRF_COOKIE_DOMAIN, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.X_FRAME_OPTIONS)",
        PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "None", "True", "True", "True", "DENY"]


# Rate limits (tests/accounts and tests/tenancy cover the login page per account, and the token
# endpoint and the signup API per address)


WRONG_PASSWORD = "wrong-password"


def login(client: Client, username: str, password: str = WRONG_PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": username, "password": password}, **extra)


def test_login_page_is_rate_limited_per_address_across_accounts(client_a, tenant_a, settings):
    settings.LOGIN_RATE_PER_IP = "3/m"
    answers = [login(client_a, f"guess-{n}@alpha.example").status_code for n in range(4)]
    assert answers == [200, 200, 200, 429]


def test_login_limit_per_account_holds_across_addresses_and_refuses_the_right_password(
    client_a, tenant_a, settings
):
    settings.LOGIN_RATE_PER_ACCOUNT = "3/m"
    for n in range(3):
        assert login(client_a, "admin@alpha.example", REMOTE_ADDR=f"10.0.0.{n}").status_code == 200
    late = login(client_a, "admin@alpha.example", PASSWORD, REMOTE_ADDR="10.0.0.99")
    assert late.status_code == 429
    assert b"Too many attempts" in late.content
    assert client_a.get("/api/v1/auth/me/").status_code == 401


def test_login_limit_per_account_ignores_the_case_of_the_email(client_a, tenant_a, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "3/m"
    spellings = ["admin@alpha.example", "Admin@alpha.example", "aDmin@alpha.example",
                 "adMin@alpha.example"]  # fmt: skip
    answers = [login(client_a, spelling).status_code for spelling in spellings]
    assert answers == [200, 200, 200, 429]


def test_token_endpoint_is_rate_limited_per_account(client_a, tenant_a, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "3/m"
    answers = [
        client_a.post(
            "/api/v1/auth/token/",
            {"email": "admin@alpha.example", "password": "wrong-password"},
            content_type="application/json",
            REMOTE_ADDR=f"10.0.1.{n}",
        ).status_code
        for n in range(4)
    ]
    assert answers == [400, 400, 400, 429]


def test_signup_page_is_rate_limited_per_address(public_client, settings):
    settings.SIGNUP_RATE_PER_IP = "2/m"
    answers = [public_client.post("/signup/", {"slug": "www"}) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [400, 400, 429]
    assert Tenant.objects.filter(slug="www").count() == 0

"""Tenant isolation sweep over every route of the tenant URL conf (loginexus/urls_tenant.py).

Tenant B ("bravo") has shipments, escrows, users, an API token, a workspace API key and a paid
subscription, with ids and texts found nowhere else. Tenant A's admin, by session cookie and by
API token (and, on B's host, A's workspace API key with every scope):

- on B's host, every route, its path filled with every fitting id of B, by GET, POST, PUT, PATCH
  and DELETE, answers 401, 403, 404, 405 or a redirect to B's login page (the routes open to
  anyone, such as the login page and the health check, answer what they answer a stranger),
  shows none of B's data, and changes nothing of B: not in B's schema, not in the public schema,
  not in Stripe;
- on A's own host, every route that takes an id answers 404 (or 405) to B's ids, an escrow
  cannot be opened for B's shipment, the lists and pages show none of B's data, and nothing of B
  changes.

Each request is one check, of its status, its body and B's state: 2,191 on the current URL conf
(1,755 on B's host, 436 on A's); each sweep prints its count and asserts a floor. A route the
sweeps cannot fill fails them, so none goes unchecked; a control run with B's own session shows
that the sweep sees a leak and a change when there is one.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import stripe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context
from rest_framework.authtoken.models import Token

from escrows.models import Escrow
from loginexus.accounts.models import Role
from loginexus.apikeys.models import ApiKey, Scope
from loginexus.apikeys.services import api_key_create
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.selectors import tenant_host
from shipments.models import Shipment
from tests.conftest import (
    PASSWORD,
    admin_of,
    host_client,
    logged_in,
    make_escrow,
    make_shipment,
    tenant_user,
)
from tests.security.routes import (
    API_KEY,
    BODY_NAMES_AN_OBJECT,
    ESCROW,
    METHODS,
    OPEN_REDIRECTS,
    OPEN_ROUTES,
    SHIPMENT,
    USER,
    WEBHOOK_DELIVERY,
    WEBHOOK_ENDPOINT,
    Route,
    acting_body,
    body_text,
    filled_paths,
    send,
    tenant_routes,
    uncatalogued,
)
from tests.security.state import state_of
from tests.security.subscriptions import paying
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db

# B's objects get ids from here on: numbers no page shows by chance, and no object of A has.
FIRST_ID = 9_170_000
B_HOST_FLOOR = 700
A_HOST_FLOOR = 300
REFUSED = {401, 403, 404, 405}


@dataclass
class Bravo:
    tenant: Tenant
    host: str
    ids: dict[str, list[int]]
    texts: list[str]
    stripe_ids: dict[str, str]

    @property
    def foreign_ids(self) -> dict[str, list[int]]:
        """B's ids that name no object of A (B's first admin shares A's admin's id)."""
        return {kind: [pk for pk in pks if pk > FIRST_ID] for kind, pks in self.ids.items()}

    @property
    def id_pattern(self) -> re.Pattern:
        numbers = sorted({pk for pks in self.foreign_ids.values() for pk in pks})
        return re.compile(r"(?<!\d)(?:" + "|".join(map(str, numbers)) + r")(?!\d)")


def _restart_ids(tenant: Tenant, first: int) -> None:
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        for model in (Shipment, Escrow, get_user_model(), WebhookEndpoint, WebhookDelivery, ApiKey):
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [model._meta.db_table, first]
            )


@pytest.fixture
def bravo(tenant_a, tenant_b, sim, stripe_module) -> Bravo:
    _restart_ids(tenant_b, FIRST_ID)
    stripe_ids = paying(tenant_b)
    with schema_context(tenant_b.schema_name):
        endpoint = webhook_endpoint_create(
            url="http://127.0.0.1:9/bravo-confidential-hooks", events=["shipment.created"]
        )
    shipments = [
        make_shipment(tenant_b, reference="BRAVO-CONFIDENTIAL-DRAFT", origin="Bravo Secret Dock"),
        make_shipment(
            tenant_b,
            status="booked",
            reference="BRAVO-CONFIDENTIAL-BOOKED",
            destination="Bravo Hidden Yard",
        ),
        make_shipment(tenant_b, status="delivered", reference="BRAVO-CONFIDENTIAL-DELIVERED"),
    ]
    escrows = [
        make_escrow(
            tenant_b, shipment=shipments[1], buyer="Bravo Confidential Buyer", amount="98765.43"
        ),
        make_escrow(
            tenant_b,
            shipment=shipments[2],
            status="funded",
            seller="Bravo Confidential Seller",
            amount="87654.32",
        ),
    ]
    users = [
        admin_of(tenant_b),
        tenant_user(tenant_b, email="confidential-member@bravo.example"),
        tenant_user(tenant_b, role=Role.ADMIN, email="confidential-admin@bravo.example"),
    ]
    with schema_context(tenant_b.schema_name):
        token = Token.objects.get_or_create(user=users[0])[0].key
        api_key = api_key_create(
            name="Bravo confidential integration", scopes=["shipments:read"], created_by=users[0]
        )
    with schema_context(tenant_b.schema_name):
        deliveries = list(WebhookDelivery.objects.values_list("pk", flat=True))
    with schema_context(tenant_a.schema_name):
        for model in (Shipment, Escrow, get_user_model(), WebhookEndpoint, WebhookDelivery, ApiKey):
            assert not model.objects.filter(pk__gt=FIRST_ID).exists()
    return Bravo(
        tenant=tenant_b,
        host=tenant_host(slug=tenant_b.slug),
        ids={
            SHIPMENT: [shipment.pk for shipment in shipments],
            ESCROW: [escrow.pk for escrow in escrows],
            USER: [user.pk for user in users],
            WEBHOOK_ENDPOINT: [endpoint.pk],
            WEBHOOK_DELIVERY: deliveries[:1],
            API_KEY: [api_key.api_key.pk],
        },
        texts=[
            *(shipment.reference for shipment in shipments),
            "Bravo Secret Dock",
            "Bravo Hidden Yard",
            "Bravo Confidential Buyer",
            "Bravo Confidential Seller",
            "98765.43",
            "98,765.43",
            "87654.32",
            "87,654.32",
            *(user.email for user in users),
            token,
            "bravo-confidential-hooks",
            endpoint.secret,
            api_key.key,
            api_key.api_key.prefix,
            "Bravo confidential integration",
            *stripe_ids.values(),
        ],
        stripe_ids=stripe_ids,
    )


def stripe_state(stripe_ids: dict[str, str]) -> dict:
    return {
        "customer": stripe.Customer.retrieve(stripe_ids["customer"]).to_dict(),
        "subscription": stripe.Subscription.retrieve(stripe_ids["subscription"]).to_dict(),
    }


def hijack_body(bravo: Bravo) -> dict:
    """Were any route to let A in, this body would change B."""
    return acting_body(shipment=bravo.ids[SHIPMENT][0], email="admin@alpha.example")


@dataclass
class Credential:
    """A's admin by one means; `ready()` gives the client holding just that credential."""

    name: str
    client: Client
    session_key: str | None = None
    api_key: bool = False

    def ready(self) -> Client:
        # A response may delete or replace cookies (logout does); each request starts afresh.
        self.client.cookies.clear()
        if self.session_key:
            self.client.cookies[settings.SESSION_COOKIE_NAME] = self.session_key
        return self.client


def a_token(tenant_a: Tenant) -> str:
    response = host_client(tenant_host(slug=tenant_a.slug)).post(
        "/api/v1/auth/token/",
        {"email": "admin@alpha.example", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
    return response.json()["token"]


@pytest.fixture
def credentials_of_a(admin_client_a, tenant_a) -> list[Credential]:
    credentials = [
        Credential(
            "A's admin session",
            admin_client_a,
            session_key=admin_client_a.cookies[settings.SESSION_COOKIE_NAME].value,
        ),
        Credential("A's admin token", Client(HTTP_AUTHORIZATION=f"Token {a_token(tenant_a)}")),
    ]
    assert_logged_in_on_own_host(credentials, tenant_a)
    return credentials


@pytest.fixture
def api_key_of_a(tenant_a) -> Credential:
    """A workspace API key of A with every scope."""
    with schema_context(tenant_a.schema_name):
        key = api_key_create(
            name="A's integration", scopes=list(Scope.values), created_by=admin_of(tenant_a)
        ).key
    credential = Credential("A's API key", Client(HTTP_AUTHORIZATION=f"Bearer {key}"), api_key=True)
    assert_logged_in_on_own_host([credential], tenant_a)
    return credential


def assert_logged_in_on_own_host(credentials: list[Credential], tenant_a: Tenant) -> None:
    """The credentials are live: on A's host they are A's admin (before and after the sweep, so
    that no refusal on B's host comes from a credential gone stale)."""
    for credential in credentials:
        if credential.api_key:  # a key is nobody: it reads what its scopes allow
            own = credential.ready().get(
                "/api/v1/shipments/", HTTP_HOST=tenant_host(slug=tenant_a.slug)
            )
            assert own.status_code == 200, credential.name
            continue
        me = credential.ready().get("/api/v1/auth/me/", HTTP_HOST=tenant_host(slug=tenant_a.slug))
        assert me.status_code == 200, credential.name
        assert me.json()["email"] == "admin@alpha.example", credential.name


@dataclass
class Sweep:
    bravo: Bravo
    checks: int = 0
    failures: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.baseline = state_of(self.bravo.tenant)
        self.stripe_baseline = stripe_state(self.bravo.stripe_ids)

    def check(
        self, credential: Credential, host: str, route: Route, path: str, method: str, verdict
    ):
        body = hijack_body(self.bravo)
        response = send(credential.ready(), method, path, route=route, body=body, HTTP_HOST=host)
        self.checks += 1
        where = f"{credential.name}: {method.upper()} {host}{path} ({route.name})"
        problem = verdict(response)
        if problem:
            self.failures.append(f"{where} {problem}")
        shown = self.shown_data(response, asked=[path, str(body["shipment"])])
        if shown:
            self.failures.append(f"{where} shows B's data: {shown}")
        now = state_of(self.bravo.tenant)
        if now != self.baseline:
            changed = sorted(key for key in now if now[key] != self.baseline.get(key))
            self.failures.append(f"{where} changed B: {changed}")
            self.baseline = now

    def shown_data(self, response, asked: list[str]) -> list[str]:
        text = body_text(response)
        location = response.get("Location", "")
        shown = [t for t in self.bravo.texts if t in text or t in location]
        # What was asked for may be echoed back ("no shipment 9170001"); any other mention of
        # B's ids is a leak.
        shown += [
            number
            for number in self.bravo.id_pattern.findall(text)
            if not any(number in request_part for request_part in asked)
        ]
        return shown

    def finish(self, floor: int, label: str) -> None:
        if stripe_state(self.bravo.stripe_ids) != self.stripe_baseline:
            self.failures.append("B's customer or subscription changed in Stripe")
        print(f"{label}: {self.checks} checks")
        assert not self.failures, f"{len(self.failures)} failures:\n" + "\n".join(
            self.failures[:60]
        )
        assert self.checks >= floor, f"only {self.checks} checks ran; has the URL conf shrunk?"


def refused_on(host: str, route: Route):
    """B's host answers A like a stranger: a refusal, or a redirect to B's own login page."""
    allowed = OPEN_ROUTES.get(route.name, REFUSED)

    def verdict(response) -> str | None:
        if response.status_code in (301, 302, 303, 307, 308):
            location = urlsplit(response["Location"])
            expected = OPEN_REDIRECTS.get(route.name, "/accounts/login/")
            if location.netloc not in ("", host) or location.path not in (
                "/accounts/login/",
                expected,
            ):
                return f"redirects to {response['Location']}, not to B's login page"
            return None
        if response.status_code not in allowed:
            return f"answers {response.status_code}, not one of {sorted(allowed)}"
        return None

    return verdict


def answers(expected: set[int]):
    def verdict(response) -> str | None:
        if response.status_code not in expected:
            return f"answers {response.status_code}, not one of {sorted(expected)}"
        return None

    return verdict


def no_server_error(response) -> str | None:
    return f"answers {response.status_code}" if response.status_code >= 500 else None


def test_every_tenant_route_is_in_the_sweep():
    """A new route must be added to tests/security/routes.py, or the sweeps would skip it."""
    routes = tenant_routes()
    assert len(routes) >= 40
    problems = uncatalogued(routes)
    assert not problems, "Routes the isolation sweep cannot fill:\n" + "\n".join(problems)
    # The guard itself: a route added to the URL conf and not here is reported.
    added = Route(name="shipments:export", pattern="shipments/<int:pk>/export/", parameters=("pk",))
    assert any(problem.startswith("shipments:export") for problem in uncatalogued([*routes, added]))


def test_a_admin_session_token_and_api_key_are_strangers_on_b_host(
    bravo, credentials_of_a, api_key_of_a, tenant_a
):
    routes = tenant_routes()
    assert not uncatalogued(routes)
    sweep = Sweep(bravo)
    credentials_of_a = [*credentials_of_a, api_key_of_a]
    for credential in credentials_of_a:
        for route in routes:
            for path in filled_paths(route, bravo.ids):
                for method in METHODS:
                    sweep.check(
                        credential, bravo.host, route, path, method, refused_on(bravo.host, route)
                    )
    assert_logged_in_on_own_host(credentials_of_a, tenant_a)
    sweep.finish(B_HOST_FLOOR, "isolation on B's host")


def test_b_ids_name_nothing_on_a_host(bravo, credentials_of_a, tenant_a):
    routes = tenant_routes()
    assert not uncatalogued(routes)
    a_host = tenant_host(slug=tenant_a.slug)
    sweep = Sweep(bravo)
    for credential in credentials_of_a:
        for route in routes:
            if not (route.is_api or credential.session_key):
                continue  # pages read no token: to them the token's holder is a stranger
            for path in filled_paths(route, bravo.foreign_ids):
                if route.parameters:
                    for method in METHODS:
                        sweep.check(credential, a_host, route, path, method, answers({404, 405}))
                    continue
                sweep.check(credential, a_host, route, path, "get", no_server_error)
                if route.name in BODY_NAMES_AN_OBJECT:
                    # B's shipment is no choice on A's form, nor in A's API.
                    sweep.check(credential, a_host, route, path, "post", answers({400}))
    assert_logged_in_on_own_host(credentials_of_a, tenant_a)
    with schema_context(tenant_a.schema_name):
        assert not Escrow.objects.exists()
    sweep.finish(A_HOST_FLOOR, "isolation on A's host")


def test_the_sweep_sees_data_and_changes_when_the_credential_is_b_own(bravo, client_b, tenant_b):
    logged_in(client_b, tenant_b, admin_of(tenant_b))
    own = Credential(
        "B's admin session",
        client_b,
        session_key=client_b.cookies[settings.SESSION_COOKIE_NAME].value,
    )
    routes = {route.name: route for route in tenant_routes()}
    shipment = bravo.ids[SHIPMENT][0]
    sweep = Sweep(bravo)
    for name, path, method in [
        ("shipments:detail", f"/shipments/{shipment}/", "get"),
        ("shipment-detail", f"/api/v1/shipments/{shipment}/", "patch"),
    ]:
        sweep.check(
            own, bravo.host, routes[name], path, method, refused_on(bravo.host, routes[name])
        )
    assert sweep.checks == 2
    assert any("answers 200, not one of [401, 403, 404, 405]" in f for f in sweep.failures)
    assert any("shows B's data: ['BRAVO-CONFIDENTIAL-DRAFT'" in f for f in sweep.failures)
    assert any(
        "PATCH" in f and "changed B: [" in f and "'shipments.Shipment'" in f for f in sweep.failures
    )


@pytest.mark.parametrize("kind", ["token", "API key"])
def test_a_token_or_api_key_answers_401_on_every_api_route_of_b_host(
    bravo, credentials_of_a, api_key_of_a, kind
):
    if kind == "token":
        credential = next(c for c in credentials_of_a if not c.session_key)
    else:
        credential = api_key_of_a
    checked = 0
    for route in tenant_routes():
        if not route.is_api or route.name == "api-token":  # the token endpoint reads no token
            continue
        for path in filled_paths(route, bravo.ids):
            for method in METHODS:
                response = send(credential.ready(), method, path, route=route, HTTP_HOST=bravo.host)
                assert response.status_code == 401, (method, path, response.status_code)
                if response["Content-Type"].startswith("application/"):  # docs: an HTML page
                    assert b"authentication_failed" in response.content, (method, path)
                checked += 1
    assert checked >= 150


def test_a_session_cookie_is_anonymous_on_b_host(admin_client_a, tenant_a, tenant_b):
    a_admin = admin_of(tenant_a)
    with schema_context(tenant_b.schema_name):
        # A's session names user id N and B has an admin N too: a session read from the wrong
        # schema would log A's admin in as B's.
        if not get_user_model().objects.filter(pk=a_admin.pk).exists():
            get_user_model().objects.create_user(
                "same-id@bravo.example", PASSWORD, id=a_admin.pk, role=Role.ADMIN
            )
        assert get_user_model().objects.filter(pk=a_admin.pk, is_active=True).exists()
    cookie = admin_client_a.cookies[settings.SESSION_COOKIE_NAME].value
    assert admin_client_a.get("/api/v1/auth/me/").status_code == 200

    on_b = host_client(tenant_host(slug=tenant_b.slug))
    on_b.cookies[settings.SESSION_COOKIE_NAME] = cookie
    me = on_b.get("/api/v1/auth/me/")
    assert me.status_code == 401
    assert me.json()["code"] == "not_authenticated"
    on_b.cookies[settings.SESSION_COOKIE_NAME] = cookie
    dashboard = on_b.get("/")
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith("/accounts/login/")
    on_b.cookies[settings.SESSION_COOKIE_NAME] = cookie
    login_page = on_b.get("/accounts/login/")  # it sends a logged-in user on to "/"
    assert login_page.status_code == 200


def test_a_session_cookie_is_not_staff_on_the_public_host(client_a, tenant_a):
    user_model = get_user_model()
    a_admin = admin_of(tenant_a)
    with schema_context(tenant_a.schema_name):
        # Even a tenant user flagged staff in its own schema is nobody on the public host...
        user_model.objects.filter(pk=a_admin.pk).update(is_staff=True, is_superuser=True)
    # ...though the public schema's user with the same id is a superuser.
    if user_model.objects.filter(pk=a_admin.pk).update(is_staff=True, is_superuser=True) == 0:
        user_model.objects.create_superuser("same-id@loginexus.example", PASSWORD, id=a_admin.pk)
    client = logged_in(client_a, tenant_a, admin_of(tenant_a))
    assert client.get("/").status_code == 200
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    public = host_client("localhost")
    for path in ("/admin/", "/admin/tenancy/tenant/", "/admin/accounts/user/"):
        public.cookies[settings.SESSION_COOKIE_NAME] = cookie
        response = public.get(path)
        assert response.status_code == 302, path
        assert urlsplit(response["Location"]).path == "/admin/login/", path


def test_session_and_csrf_cookies_are_set_for_their_own_host_only(client_a, tenant_a):
    """Browsers send a cookie without a Domain attribute to the host that set it alone, so an
    A session never reaches B's host or the public host."""
    page = client_a.get("/accounts/login/")
    assert page.cookies[settings.CSRF_COOKIE_NAME]["domain"] == ""
    login = client_a.post(
        "/accounts/login/", {"login": "admin@alpha.example", "password": PASSWORD}
    )
    assert login.status_code == 302
    session = login.cookies[settings.SESSION_COOKIE_NAME]
    assert session.value
    assert session["domain"] == ""
    assert session["httponly"] is True

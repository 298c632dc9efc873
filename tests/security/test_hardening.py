"""Findings of the attacker's probe, each pinned: the admin login throttled, login limits that no
spelling or decoy field dodges, no 500 from a deeply nested body, branded error pages, access
that ends with deactivation, strong passwords, security headers on every answer, reserved slugs,
CSRF trusting no other tenant, and links to us built from settings rather than the Host header."""

import json
import logging

import pytest
import stripe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django_tenants.utils import schema_context
from rest_framework.authtoken.models import Token

from billing.stripe.catalog import plans_sync
from loginexus.accounts.models import Session
from loginexus.api import server_error
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.services import tenant_suspend
from tests.conftest import PASSWORD, admin_of, host_client, logged_in, staff_member, tenant_user

pytestmark = pytest.mark.django_db

WRONG = "wrong-password"
DEEP_JSON = "[" * 50_000 + "]" * 50_000


def fullwidth(text: str) -> str:
    """ASCII letters as their fullwidth forms (U+FF01 onwards), which NFKC maps back."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in text)


def post_json(client: Client, path: str, body, **extra):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **extra)


# 1. The platform admin's login is throttled and logged


def test_admin_login_is_throttled_per_account_and_then_refuses_the_right_password(
    public_client, settings, caplog
):
    settings.LOGIN_RATE_PER_ACCOUNT = "5/m"
    staff = staff_member(email="staff@loginexus.example")
    caplog.set_level(logging.INFO, logger="loginexus.security")
    wrong = [
        public_client.post(
            "/admin/login/", {"username": staff.email, "password": WRONG}, REMOTE_ADDR=f"10.9.0.{n}"
        ).status_code
        for n in range(5)
    ]
    assert wrong == [200] * 5
    late = public_client.post(
        "/admin/login/?next=/admin/",
        {"username": staff.email, "password": PASSWORD},
        REMOTE_ADDR="10.9.0.99",
    )
    assert late.status_code == 429
    assert b"Too many attempts" in late.content
    assert public_client.get("/admin/").status_code == 302  # still not logged in
    assert caplog.text.count("login failed: account=staff@loginexus.example") == 5
    assert "rate limited: path=/admin/login/ address=10.9.0.99" in caplog.text


def test_admin_login_is_throttled_per_address_across_accounts(public_client, settings):
    settings.LOGIN_RATE_PER_IP = "3/m"
    answers = [
        public_client.post(
            "/admin/login/", {"username": f"guess-{n}@loginexus.example", "password": WRONG}
        ).status_code
        for n in range(4)
    ]
    assert answers == [200, 200, 200, 429]


def test_admin_login_still_logs_staff_in(public_client):
    staff = staff_member(email="staff@loginexus.example")
    response = public_client.post(
        "/admin/login/?next=/admin/", {"username": staff.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert public_client.get("/admin/").status_code == 200


# 2. The per-account limit counts every spelling of the account and ignores decoy fields


def test_a_decoy_email_field_does_not_move_the_login_page_attempts_to_another_account(
    client_a, tenant_a, settings
):
    settings.LOGIN_RATE_PER_ACCOUNT = "3/m"
    for n in range(3):
        response = client_a.post(
            "/accounts/login/",
            {"login": "admin@alpha.example", "email": f"decoy-{n}@x.example", "password": WRONG},
            REMOTE_ADDR=f"10.8.0.{n}",
        )
        assert response.status_code == 200
    late = client_a.post(
        "/accounts/login/",
        {"login": "admin@alpha.example", "email": "decoy-9@x.example", "password": PASSWORD},
        REMOTE_ADDR="10.8.0.99",
    )
    assert late.status_code == 429


def test_fullwidth_letters_count_against_the_same_account(client_a, tenant_a, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "3/m"
    spellings = [
        fullwidth("admin") + "@alpha.example",
        "admin@" + fullwidth("alpha") + ".example",
        fullwidth("ADMIN") + "@alpha.example",
    ]
    for n, spelling in enumerate(spellings):
        response = client_a.post(
            "/accounts/login/",
            {"login": spelling, "password": WRONG},
            REMOTE_ADDR=f"10.7.0.{n}",
        )
        assert response.status_code == 200
    late = client_a.post(
        "/accounts/login/",
        {"login": "admin@alpha.example", "password": PASSWORD},
        REMOTE_ADDR="10.7.0.99",
    )
    assert late.status_code == 429


def test_the_long_s_spelling_on_the_token_api_counts_against_the_real_account(
    client_a, tenant_a, settings
):
    tenant_user(tenant_a, email="sam@alpha.example")
    settings.LOGIN_RATE_PER_ACCOUNT = "3/m"
    for n in range(3):
        answer = post_json(
            client_a,
            "/api/v1/auth/token/",
            {"email": "\u017fam@alpha.example", "password": WRONG},
            REMOTE_ADDR=f"10.6.0.{n}",
        )
        assert answer.status_code == 400
    late = post_json(
        client_a,
        "/api/v1/auth/token/",
        {"email": "sam@alpha.example", "password": PASSWORD},
        REMOTE_ADDR="10.6.0.99",
    )
    assert late.status_code == 429


def test_an_address_that_only_the_database_folds_together_names_no_account(client_a, tenant_a):
    # PostgreSQL's UPPER() turns the dotless i into I; the address is not the admin's.
    answer = post_json(
        client_a, "/api/v1/auth/token/", {"email": "adm\u0131n@alpha.example", "password": PASSWORD}
    )
    assert answer.status_code == 400
    assert "token" not in answer.json()


def test_another_spelling_of_an_existing_address_cannot_become_a_second_account(
    admin_client_a, tenant_a
):
    tenant_user(tenant_a, email="sam@alpha.example")
    answer = post_json(
        admin_client_a,
        "/api/v1/users/",
        {"email": "\u017fam@alpha.example", "password": "a-much-better-passphrase-9"},
    )
    assert answer.status_code == 400
    assert answer.json() == {"email": ["A user with this email already exists."]}


# 3. No 500 from bad input; branded error pages


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/token/", "/api/v1/shipments/", "/api/v1/billing/checkout/"]
)
def test_a_deeply_nested_body_is_a_400_on_tenant_apis(admin_client_a, path):
    answer = post_json(admin_client_a, path, DEEP_JSON)
    assert answer.status_code == 400
    assert answer.json()["code"] == "parse_error"


def test_a_deeply_nested_body_is_a_400_on_the_signup_api(public_client):
    answer = post_json(public_client, "/api/v1/signup/", DEEP_JSON)
    assert answer.status_code == 400
    assert answer.json()["code"] == "parse_error"


def test_an_unknown_page_is_the_branded_404_without_the_url_list(client_a, public_client):
    for client in (client_a, public_client):
        page = client.get("/no-such-page/")
        assert page.status_code == 404
        assert b"This page does not exist" in page.content
        assert b"URLconf" not in page.content
        assert b'class="brand"' in page.content


def test_a_member_on_an_admin_page_gets_the_branded_403(member_client_a):
    page = member_client_a.get("/team/")
    assert page.status_code == 403
    assert b"You cannot open this page" in page.content
    assert b"Only the workspace&#x27;s admins can open this page." in page.content


def test_a_server_error_is_the_branded_500_page_or_json_under_the_api():
    factory = RequestFactory()
    page = server_error(factory.get("/shipments/"))
    assert page.status_code == 500
    assert b"Something went wrong on our side" in page.content
    answer = server_error(factory.get("/api/v1/shipments/"))
    assert answer.status_code == 500
    assert json.loads(answer.content)["code"] == "server_error"


# 5. Deactivation ends every session and token; reactivation brings none back; tokens revoke


def test_reactivating_a_user_does_not_bring_back_their_session_or_token(admin_client_a, tenant_a):
    member = tenant_user(tenant_a, email="leaves@alpha.example")
    browser = host_client("alpha.localhost")
    assert (
        browser.post("/accounts/login/", {"login": member.email, "password": PASSWORD}).status_code
        == 302
    )
    token = post_json(
        host_client("alpha.localhost"),
        "/api/v1/auth/token/",
        {"email": member.email, "password": PASSWORD},
    ).json()["token"]
    with schema_context(tenant_a.schema_name):
        assert Session.objects.filter(user_id=member.pk).count() == 1

    url = f"/api/v1/users/{member.pk}/"
    off = admin_client_a.patch(url, {"is_active": False}, content_type="application/json")
    assert off.status_code == 200
    with schema_context(tenant_a.schema_name):
        assert not Session.objects.filter(user_id=member.pk).exists()
        assert not Token.objects.filter(user_id=member.pk).exists()
    on = admin_client_a.patch(url, {"is_active": True}, content_type="application/json")
    assert on.status_code == 200

    assert browser.get("/api/v1/auth/me/").status_code == 401
    by_token = host_client("alpha.localhost", HTTP_AUTHORIZATION=f"Token {token}")
    assert by_token.get("/api/v1/auth/me/").status_code == 401


def test_a_token_revoked_by_its_owner_stops_working_at_once(client_a, tenant_a):
    token = post_json(
        client_a, "/api/v1/auth/token/", {"email": "admin@alpha.example", "password": PASSWORD}
    ).json()["token"]
    caller = host_client("alpha.localhost", HTTP_AUTHORIZATION=f"Token {token}")
    assert caller.get("/api/v1/auth/me/").status_code == 200
    assert caller.delete("/api/v1/auth/me/token/").status_code == 204
    assert caller.get("/api/v1/auth/me/").status_code == 401
    again = host_client("alpha.localhost", HTTP_AUTHORIZATION=f"Token {token}")
    assert again.delete("/api/v1/auth/me/token/").status_code == 401


def test_revoking_with_a_session_needs_a_token_to_exist(admin_client_a):
    answer = admin_client_a.delete("/api/v1/auth/me/token/")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "You have no API token.", "code": "not_found"}


# 6. Weak passwords are refused wherever a password is set

WEAK = {
    "          ": "only spaces",
    "loginexus1": "too guessable",
    "Winter2026!": "too guessable",
}


@pytest.mark.parametrize("password", list(WEAK))
def test_the_users_api_refuses_a_weak_password(admin_client_a, tenant_a, password):
    answer = post_json(
        admin_client_a, "/api/v1/users/", {"email": "weakling@alpha.example", "password": password}
    )
    assert answer.status_code == 400
    assert WEAK[password] in " ".join(answer.json()["password"])
    with schema_context(tenant_a.schema_name):
        assert not get_user_model().objects.filter(email="weakling@alpha.example").exists()


@pytest.mark.parametrize("password", list(WEAK))
def test_signup_refuses_a_weak_password_on_the_api_and_the_page(public_client, password):
    body = {
        "company": "Weak Co",
        "slug": "weak-co",
        "email": "o@weak.example",
        "password": password,
    }
    answer = post_json(public_client, "/api/v1/signup/", body)
    assert answer.status_code == 400
    assert WEAK[password] in " ".join(answer.json()["password"])
    page = public_client.post("/signup/", body)
    assert page.status_code == 400
    assert WEAK[password] in page.content.decode()
    assert not Tenant.objects.filter(slug="weak-co").exists()


def test_the_team_page_refuses_a_weak_password(admin_client_a, tenant_a):
    page = admin_client_a.post(
        "/team/", {"email": "weakling@alpha.example", "password": "Winter2026!", "role": "member"}
    )
    assert page.status_code == 400
    assert "too guessable" in page.content.decode()


def test_a_strong_password_is_still_accepted(admin_client_a):
    answer = post_json(
        admin_client_a,
        "/api/v1/users/",
        {"email": "strong@alpha.example", "password": "violet-harbour-tractor-57"},
    )
    assert answer.status_code == 201


# 7. Security headers on every answer; nothing about a user kept by a cache


def assert_security_headers(response) -> None:
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    script_src = next(part for part in policy.split(";") if "script-src" in part)
    assert "'unsafe-inline'" not in script_src
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_pages_and_api_answers_carry_the_security_headers(admin_client_a, public_client):
    for response in (
        admin_client_a.get("/"),
        admin_client_a.get("/api/v1/shipments/"),
        public_client.get("/"),
    ):
        assert response.status_code == 200
        assert_security_headers(response)


def test_an_unknown_host_answers_404_with_the_security_headers(db):
    response = host_client("nobody-here.localhost").get("/")
    assert response.status_code == 404
    assert_security_headers(response)


def test_a_suspended_workspace_answers_with_the_security_headers(client_a, tenant_a):
    tenant_suspend(tenant=tenant_a, reason="Probe")
    for path in ("/", "/api/v1/shipments/"):
        response = client_a.get(path)
        assert response.status_code == 403
        assert_security_headers(response)


def test_authenticated_answers_are_private_and_not_stored(admin_client_a, client_a, tenant_a):
    token = post_json(
        client_a, "/api/v1/auth/token/", {"email": "admin@alpha.example", "password": PASSWORD}
    ).json()["token"]
    by_token = host_client("alpha.localhost", HTTP_AUTHORIZATION=f"Token {token}")
    for response in (
        admin_client_a.get("/"),
        admin_client_a.get("/billing/"),
        by_token.get("/api/v1/shipments/"),
        host_client("alpha.localhost").get("/api/v1/auth/me/"),  # a 401 of the API too
    ):
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives


def test_the_anonymous_landing_page_may_be_cached(public_client):
    assert "no-store" not in public_client.get("/").get("Cache-Control", "")


def test_the_api_docs_run_under_the_policy_without_inline_scripts(admin_client_a):
    page = admin_client_a.get("/api/docs/")
    assert page.status_code == 200
    assert b"<script>" not in page.content  # Swagger's set-up script is served from a URL
    assert_security_headers(page)


# 8. Reserved slugs


@pytest.mark.parametrize(
    "slug", ["localhost", "staff", "login", "ftp", "mail2", "ns1", "www3", "sso", "webmail"]
)
def test_reserved_slugs_are_refused_and_the_error_says_why(public_client, slug):
    body = {"company": "Phish", "slug": slug, "email": "o@phish.example", "password": PASSWORD}
    answer = post_json(public_client, "/api/v1/signup/", body)
    assert answer.status_code == 400
    (message,) = answer.json()["slug"]
    assert message.startswith(f"“{slug}” is reserved")
    assert "host name people trust" in message


def test_an_ordinary_slug_with_a_reserved_word_inside_is_fine(public_client):
    body = {"company": "Mail Co", "slug": "mailco-logistics", "email": "o@m.example"}
    answer = post_json(public_client, "/api/v1/signup/", {**body, "password": PASSWORD})
    assert answer.status_code == 201


# 9. CSRF trusts the request's own host and the public host, never another tenant's


def test_another_tenants_origin_fails_the_csrf_check_even_with_a_token(tenant_a, tenant_b):
    browser = logged_in(
        Client(HTTP_HOST="bravo.localhost", enforce_csrf_checks=True), tenant_b, admin_of(tenant_b)
    )
    browser.get("/team/")
    token = browser.cookies[settings.CSRF_COOKIE_NAME].value
    form = {"email": "x@bravo.example", "password": "x", "role": "member"}
    foreign = browser.post(
        "/team/", {**form, "csrfmiddlewaretoken": token}, HTTP_ORIGIN="http://alpha.localhost:8000"
    )
    assert foreign.status_code == 403
    assert b"CSRF verification failed" in foreign.content
    own = browser.post(
        "/team/", {**form, "csrfmiddlewaretoken": token}, HTTP_ORIGIN="http://bravo.localhost"
    )
    assert own.status_code == 400  # past CSRF: the form's own errors (a weak password)


# 10. Links back to us come from settings, not from the Host header


def test_checkout_and_portal_return_urls_ignore_the_host_headers_port(
    admin_client_a, tenant_a, sim, stripe_module
):
    plans_sync()
    spoofed = {"HTTP_HOST": "alpha.localhost:6666"}
    started = post_json(
        admin_client_a, "/api/v1/billing/checkout/", {"plan": "pro", "interval": "month"}, **spoofed
    )
    assert started.status_code == 201
    session = stripe.checkout.Session.retrieve(started.json()["session_id"])
    expected = f"http://alpha.localhost:{settings.SITE_PORT}/"
    assert session.success_url.startswith(expected + "billing/success/")
    assert session.cancel_url == expected + "billing/canceled/"

    portal = post_json(admin_client_a, "/api/v1/billing/portal/", {}, **spoofed)
    assert portal.status_code == 200
    (session,) = sim.state.all("billing_portal.session")
    assert session["return_url"] == expected + "billing/"


def directive(response, name: str) -> str:
    return next(
        part.strip() for part in response["Content-Security-Policy"].split(";") if name in part
    )


def test_only_the_admin_may_style_inline_and_nobody_may_script_inline(
    superuser_client, admin_client_a
):
    admin_page = superuser_client.get("/admin/")
    assert admin_page.status_code == 200
    assert "'unsafe-inline'" in directive(admin_page, "style-src")
    assert "'unsafe-inline'" not in directive(admin_page, "script-src")
    tenant_page = admin_client_a.get("/")
    assert "'unsafe-inline'" not in directive(tenant_page, "style-src")

"""Signup on the public host: page and API, validation of every field, races on a slug."""

import json
import threading
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client
from django_tenants.utils import schema_context, schema_exists

from loginexus.accounts.models import Role
from loginexus.tenancy.models import Domain, Tenant
from tests.conftest import host_client

pytestmark = pytest.mark.django_db

GOOD = {
    "company": "Delta Cargo",
    "slug": "delta-cargo",
    "email": "Owner@Delta.example",
    "password": "a-long-enough-passphrase",
}


def signup_api(client, body, content_type="application/json"):
    data = (
        json.dumps(body)
        if content_type == "application/json" and not isinstance(body, str)
        else body
    )
    return client.post("/api/v1/signup/", data, content_type=content_type)


def test_signup_api_creates_tenant_schema_domain_and_first_admin(public_client):
    response = signup_api(public_client, GOOD)

    assert response.status_code == 201
    # The address is where the platform is served (settings), not what the Host header said.
    assert response.json() == {"tenant": "delta-cargo", "url": "http://delta-cargo.localhost:8000/"}
    tenant = Tenant.objects.get(slug="delta-cargo")
    assert tenant.name == "Delta Cargo"
    assert schema_exists(tenant.schema_name)
    assert Domain.objects.get(tenant=tenant).domain == "delta-cargo.localhost"
    with schema_context(tenant.schema_name):
        admin = get_user_model().objects.get()
    assert (admin.email, admin.role, admin.is_active) == ("owner@delta.example", Role.ADMIN, True)
    assert tenant.email == "owner@delta.example"


def test_signup_url_keeps_the_port_the_visitor_used(db):
    response = signup_api(host_client("localhost:8000"), GOOD)
    assert response.json()["url"] == "http://delta-cargo.localhost:8000/"


def test_new_tenant_is_usable_at_once(public_client):
    assert signup_api(public_client, GOOD).status_code == 201
    tenant_client = host_client("delta-cargo.localhost")
    token = tenant_client.post(
        "/api/v1/auth/token/",
        {"email": GOOD["email"], "password": GOOD["password"]},
        content_type="application/json",
    )
    assert token.status_code == 200
    assert token.json()["token"]
    login = tenant_client.post(
        "/accounts/login/", {"login": GOOD["email"], "password": GOOD["password"]}
    )
    assert login.status_code == 302
    assert tenant_client.get("/").status_code == 200


def follow_to_tenant(response) -> tuple[Client, str]:
    """The tenant host's client and path a redirect to a tenant URL leads to."""
    location = urlsplit(response["Location"])
    return host_client(location.hostname), location.path


def test_signup_page_creates_the_tenant_and_lands_the_owner_signed_in_on_its_dashboard(
    public_client,
):
    page = public_client.get("/signup/")
    assert page.status_code == 200
    assert b'name="slug"' in page.content
    response = public_client.post("/signup/", GOOD)
    assert response.status_code == 302
    assert response["Location"].startswith("http://delta-cargo.localhost:8000/accounts/link/")
    assert Tenant.objects.filter(slug="delta-cargo").exists()

    browser, path = follow_to_tenant(response)
    arrived = browser.get(path)
    assert arrived.status_code == 302
    assert arrived["Location"] == "/"
    dashboard = browser.get("/")
    assert dashboard.status_code == 200
    assert GOOD["email"].lower().encode() in dashboard.content


def test_the_signup_login_link_works_once(public_client):
    link = public_client.post("/signup/", GOOD)
    first, path = follow_to_tenant(link)
    assert first.get(path)["Location"] == "/"
    second = host_client("delta-cargo.localhost")
    again = second.get(path)
    assert again.status_code == 404
    assert "This sign-in link is not valid" in again.content.decode()
    assert second.get("/").status_code == 302  # not signed in


def test_the_signup_login_link_expires(public_client, settings):
    settings.LOGIN_LINK_SECONDS = 0
    browser, path = follow_to_tenant(public_client.post("/signup/", GOOD))
    assert browser.get(path).status_code == 404
    assert browser.get("/").status_code == 302


def test_a_login_link_means_nothing_on_another_workspaces_host(public_client, tenant_a):
    _, path = follow_to_tenant(public_client.post("/signup/", GOOD))
    elsewhere = host_client("alpha.localhost")
    assert elsewhere.get(path).status_code == 404
    assert elsewhere.get("/").status_code == 302


def test_signup_page_shows_errors_next_to_the_fields(public_client):
    response = public_client.post("/signup/", {**GOOD, "slug": "www", "email": "nope"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "is reserved" in body
    assert "Enter a valid email address." in body
    assert not Tenant.objects.filter(name="Delta Cargo").exists()


@pytest.mark.parametrize("slug", ["www", "admin", "api", "public"])
def test_reserved_slugs_are_refused(public_client, slug):
    response = signup_api(public_client, {**GOOD, "slug": slug})
    assert response.status_code == 400
    assert "reserved" in response.json()["slug"][0]


@pytest.mark.parametrize(
    "slug", ["Delta", "delta_cargo", "-delta", "delta-", "de", "del ta", "dél", "a--b", "x.y"]
)
def test_malformed_slugs_are_refused(public_client, slug):
    response = signup_api(public_client, {**GOOD, "slug": slug})
    assert response.status_code == 400
    assert list(response.json()) == ["slug"]


def test_too_long_slug_is_refused(public_client):
    response = signup_api(public_client, {**GOOD, "slug": "a" * 41})
    assert response.status_code == 400
    assert "at most 40 characters" in response.json()["slug"][0]


def test_duplicate_slug_is_refused(public_client, tenant_a):
    response = signup_api(public_client, {**GOOD, "slug": tenant_a.slug})
    assert response.status_code == 400
    assert response.json() == {"slug": ["This slug is already taken."]}


@pytest.mark.parametrize("email", ["", "not-an-email", "a@", "@b.example", "a b@c.example"])
def test_bad_email_is_refused(public_client, email):
    response = signup_api(public_client, {**GOOD, "email": email})
    assert response.status_code == 400
    assert list(response.json()) == ["email"]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "too short"),
        ("password123", "too common"),
        ("40817263549", "entirely numeric"),
        ("owner@delta.example", "too similar"),
    ],
)
def test_weak_password_is_refused(public_client, password, message):
    response = signup_api(public_client, {**GOOD, "password": password})
    assert response.status_code == 400
    assert message in " ".join(response.json()["password"])


def test_missing_fields_are_each_reported(public_client):
    response = signup_api(public_client, {})
    assert response.status_code == 400
    assert set(response.json()) == {"company", "slug", "email", "password"}


@pytest.mark.parametrize("body", ['{"company": "x",', "[1, 2]", '"text"', "null", "\x00\xff"])
def test_malformed_json_bodies_answer_400(public_client, body):
    response = signup_api(public_client, body)
    assert response.status_code == 400
    assert response.json()


def test_non_string_values_answer_400_not_500(public_client):
    response = signup_api(public_client, {**GOOD, "slug": ["x"], "email": {"a": 1}})
    assert response.status_code == 400
    assert {"slug", "email"} <= set(response.json())


def test_unsupported_content_type_answers_415(public_client):
    response = public_client.post("/api/v1/signup/", "slug=x", content_type="text/plain")
    assert response.status_code == 415


def test_a_failed_signup_leaves_nothing_behind(public_client):
    before = (Tenant.objects.count(), Domain.objects.count())
    signup_api(public_client, {**GOOD, "password": "short"})
    assert (Tenant.objects.count(), Domain.objects.count()) == before
    assert not schema_exists("t_delta_cargo")


@pytest.mark.django_db(transaction=False)
def test_concurrent_signups_with_one_slug_one_wins_the_other_gets_400(django_db_blocker):
    """Two real connections race on the same slug: PostgreSQL's unique index decides."""
    barrier = threading.Barrier(2)
    answers = []

    def sign_up(index: int) -> None:
        try:
            client = host_client("localhost")
            body = {**GOOD, "slug": "race-slug", "email": f"racer{index}@race.example"}
            barrier.wait()
            answers.append(signup_api(client, body))
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        try:
            assert sorted(answer.status_code for answer in answers) == [201, 400]
            refused = next(answer for answer in answers if answer.status_code == 400)
            assert refused.json() == {"slug": ["This slug is already taken."]}
            assert Tenant.objects.filter(slug="race-slug").count() == 1
        finally:
            # The racers committed on connections of their own; this test's connection is in a
            # transaction that is rolled back, so the winner is dropped on another connection.
            def drop() -> None:
                try:
                    for tenant in Tenant.objects.filter(slug="race-slug"):
                        tenant.delete(force_drop=True)
                finally:
                    connections.close_all()

            cleaner = threading.Thread(target=drop)
            cleaner.start()
            cleaner.join(timeout=60)
            connection.set_schema_to_public()


def test_signup_is_rate_limited_per_address(public_client, settings):
    settings.SIGNUP_RATE_PER_IP = "2/m"
    answers = [signup_api(public_client, {**GOOD, "password": "short"}) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [400, 400, 429]
    assert answers[2].json()["code"] == "rate_limited"

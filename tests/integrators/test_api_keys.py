"""Workspace API keys: made by verified admins (API and page), shown once, hashed at rest,
scoped, revoked at once, expiring, rate-limited, cheap to use, and the workspace's own."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from loginexus.accounts.models import Role
from loginexus.accounts.services import user_update
from loginexus.apikeys.models import ApiKey
from loginexus.idempotency.models import IdempotentRequest
from loginexus.tenancy.selectors import tenant_host
from shipments.models import Shipment
from tests.conftest import (
    admin_of,
    host_client,
    logged_in,
    make_escrow,
    make_shipment,
    tenant_user,
)
from tests.integrators.conftest import ALL_SCOPES, key_client, new_key

pytestmark = pytest.mark.django_db

SHIPMENT = {"reference": "KEY-1", "origin": "Rotterdam", "destination": "Hamburg",
            "carrier": "DHL", "weight_kg": "12.500"}  # fmt: skip
KEY_FIELDS = {"id", "name", "prefix", "scopes", "created_at", "last_used_at", "expires_at"}


def post(client, path, body=None, **extra):
    return client.post(path, json.dumps(body or {}), content_type="application/json", **extra)


def test_an_admin_creates_a_key_that_is_shown_once(admin_client_a, tenant_a):
    created = post(
        admin_client_a,
        "/api/v1/api-keys/",
        {"name": "ERP sync", "scopes": ["shipments:read", "shipments:write"]},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == KEY_FIELDS | {"key"}
    assert body["name"] == "ERP sync"
    assert body["scopes"] == ["shipments:read", "shipments:write"]
    assert body["key"].startswith(body["prefix"] + "_")
    assert body["prefix"].startswith("lnx_") and len(body["prefix"]) == 12
    assert body["last_used_at"] is None and body["expires_at"] is None

    listed = admin_client_a.get("/api/v1/api-keys/").json()
    assert listed["count"] == 1
    assert set(listed["results"][0]) == KEY_FIELDS
    one = admin_client_a.get(f"/api/v1/api-keys/{body['id']}/")
    assert set(one.json()) == KEY_FIELDS
    assert body["key"] not in listed.__str__() + one.content.decode()

    works = key_client(tenant_a, body["key"]).get("/api/v1/shipments/")
    assert works.status_code == 200


def test_the_database_holds_only_the_key_hash(admin_client_a, tenant_a):
    created = post(
        admin_client_a,
        "/api/v1/api-keys/",
        {"name": "Replayed", "scopes": ["escrows:read"]},
        HTTP_IDEMPOTENCY_KEY="make-a-key",
    )
    key = created.json()["key"]
    replay = post(
        admin_client_a,
        "/api/v1/api-keys/",
        {"name": "Replayed", "scopes": ["escrows:read"]},
        HTTP_IDEMPOTENCY_KEY="make-a-key",
    )
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == {**created.json(), "key": None}
    secret = key.split("_", 2)[2]
    with schema_context(tenant_a.schema_name):
        api_key = ApiKey.objects.get()
        rows = [
            *ApiKey.objects.values_list(),
            *(
                (row[0], row[1], bytes(row[2]).decode())
                for row in IdempotentRequest.objects.values_list("key", "request_hash", "body")
            ),
        ]
    assert api_key.prefix == key[:12]
    assert api_key.secret_hash != key and len(api_key.secret_hash) == 64
    assert not [row for row in rows if any(secret in str(value) for value in row)]


def test_a_member_cannot_see_or_make_keys(member_client_a):
    assert member_client_a.get("/api/v1/api-keys/").status_code == 403
    made = post(member_client_a, "/api/v1/api-keys/", {"name": "x", "scopes": ["audit:read"]})
    assert made.status_code == 403
    assert member_client_a.get("/settings/api-keys/").status_code == 403


def test_an_unverified_admin_cannot_make_a_key(client_a, tenant_a):
    unverified = tenant_user(tenant_a, role=Role.ADMIN, email="new-admin@alpha.example")
    client = logged_in(client_a, tenant_a, unverified)
    made = post(client, "/api/v1/api-keys/", {"name": "x", "scopes": ["audit:read"]})
    assert made.status_code == 403
    assert made.json()["code"] == "email_unverified"
    page = client.get("/settings/api-keys/")
    assert "Verify your email address to create API keys." in page.content.decode()
    with schema_context(tenant_a.schema_name):
        assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "scopes": ["audit:read"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["shipments:delete"]}, "scopes"),
        (
            {"name": "x", "scopes": ["audit:read"], "expires_at": "2001-01-01T00:00:00Z"},
            "expires_at",
        ),
    ],
)
def test_a_key_needs_a_name_known_scopes_and_a_future_expiry(admin_client_a, body, field):
    made = post(admin_client_a, "/api/v1/api-keys/", body)
    assert made.status_code == 400
    assert field in made.json()


def test_a_key_does_only_what_its_scopes_grant(tenant_a):
    make_shipment(tenant_a)
    _, key = new_key(tenant_a, scopes=["shipments:read"])
    client = key_client(tenant_a, key)
    assert client.get("/api/v1/shipments/").status_code == 200
    for response, scope in [
        (post(client, "/api/v1/shipments/", SHIPMENT), "shipments:write"),
        (client.get("/api/v1/escrows/"), "escrows:read"),
        (client.get("/api/v1/billing/"), "billing:read"),
    ]:
        assert response.status_code == 403
        assert response.json()["code"] == "insufficient_scope"
        assert scope in response.json()["detail"]
    with schema_context(tenant_a.schema_name):
        assert not Shipment.objects.filter(reference="KEY-1").exists()


def test_a_key_with_write_scopes_creates_and_moves_things_for_nobody(tenant_a):
    _, key = new_key(tenant_a, scopes=["shipments:write", "escrows:write", "escrows:read"])
    client = key_client(tenant_a, key)
    created = post(client, "/api/v1/shipments/", SHIPMENT)
    assert created.status_code == 201
    with schema_context(tenant_a.schema_name):
        assert Shipment.objects.get(pk=created.json()["id"]).created_by is None
    escrow = make_escrow(tenant_a)
    funded = post(client, f"/api/v1/escrows/{escrow.pk}/fund/")
    assert funded.status_code == 200
    assert funded.json()["status"] == "funded"


def test_billing_read_scope_reads_billing_but_never_writes_it(tenant_a):
    _, key = new_key(tenant_a, scopes=["billing:read"])
    client = key_client(tenant_a, key)
    assert client.get("/api/v1/billing/").status_code == 200
    assert client.get("/api/v1/billing/plans/").status_code == 200
    assert client.get("/api/v1/billing/invoices/").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/users/"),
        ("post", "/api/v1/users/"),
        ("get", "/api/v1/invitations/"),
        ("post", "/api/v1/invitations/"),
        ("get", "/api/v1/api-keys/"),
        ("post", "/api/v1/api-keys/"),
        ("get", "/api/v1/auth/me/"),
        ("delete", "/api/v1/auth/me/token/"),
        ("post", "/api/v1/billing/checkout/"),
        ("post", "/api/v1/billing/change-plan/"),
        ("post", "/api/v1/billing/cancel/"),
        ("post", "/api/v1/billing/resume/"),
        ("post", "/api/v1/billing/portal/"),
    ],
)
def test_no_key_reaches_the_team_invitations_keys_or_billing_writes(tenant_a, method, path):
    _, key = new_key(tenant_a, scopes=ALL_SCOPES)
    client = key_client(tenant_a, key)
    body = {"email": "x@alpha.example", "password": "a-long-Passw0rd-nobody-guesses",
            "name": "x", "scopes": ALL_SCOPES, "plan": "pro", "interval": "month"}  # fmt: skip
    response = client.generic(
        method.upper(), path, json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "insufficient_scope"
    with schema_context(tenant_a.schema_name):
        assert ApiKey.objects.count() == 1


def test_user_tokens_and_sessions_are_not_scoped(admin_client_a):
    assert admin_client_a.get("/api/v1/users/").status_code == 200
    assert post(admin_client_a, "/api/v1/shipments/", SHIPMENT).status_code == 201


def test_a_revoked_key_is_refused_at_once(admin_client_a, tenant_a):
    api_key, key = new_key(tenant_a)
    client = key_client(tenant_a, key)
    assert client.get("/api/v1/shipments/").status_code == 200
    assert admin_client_a.delete(f"/api/v1/api-keys/{api_key.pk}/").status_code == 204
    refused = client.get("/api/v1/shipments/")
    assert refused.status_code == 401
    assert refused.json()["code"] == "authentication_failed"
    assert admin_client_a.get("/api/v1/api-keys/").json()["count"] == 0
    assert admin_client_a.delete(f"/api/v1/api-keys/{api_key.pk}/").status_code == 404


def test_an_expired_key_answers_401(tenant_a):
    api_key, key = new_key(tenant_a, expires_at=timezone.now() + timedelta(days=1))
    client = key_client(tenant_a, key)
    assert client.get("/api/v1/shipments/").status_code == 200
    with schema_context(tenant_a.schema_name):
        ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now())
    refused = client.get("/api/v1/shipments/")
    assert refused.status_code == 401
    assert refused.json()["code"] == "api_key_expired"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer lnx_00000000_nope", "Bearer not-a-key", "Bearer a b", "bearer lnx_"],
)
def test_a_wrong_bearer_answers_401(tenant_a, authorization):
    new_key(tenant_a)
    response = host_client(tenant_host(slug=tenant_a.slug), HTTP_AUTHORIZATION=authorization).get(
        "/api/v1/shipments/"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_key_with_its_secret_changed_answers_401(tenant_a):
    _, key = new_key(tenant_a)
    forged = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert key_client(tenant_a, forged).get("/api/v1/shipments/").status_code == 401


def test_a_key_outlives_the_admin_who_made_it(tenant_a):
    maker = tenant_user(tenant_a, role=Role.ADMIN, email="maker@alpha.example")
    with schema_context(tenant_a.schema_name):
        from loginexus.accounts.services import email_address_record

        email_address_record(user=maker, verified=True)
    _, key = new_key(tenant_a, created_by=maker)
    with schema_context(tenant_a.schema_name):
        user_update(user=maker, actor=admin_of(tenant_a), is_active=False)
    assert key_client(tenant_a, key).get("/api/v1/shipments/").status_code == 200


def test_last_used_at_is_written_at_most_once_a_minute(tenant_a):
    api_key, key = new_key(tenant_a)
    client = key_client(tenant_a, key)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(20):
            assert client.get("/api/v1/shipments/").status_code == 200
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "apikeys_apikey"')]
    assert len(updates) == 1
    with schema_context(tenant_a.schema_name):
        first_use = ApiKey.objects.get(pk=api_key.pk).last_used_at
        assert timezone.now() - first_use < timedelta(seconds=30)
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=first_use - timedelta(minutes=2))
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/shipments/").status_code == 200
    assert sum(q["sql"].startswith('UPDATE "apikeys_apikey"') for q in queries) == 1
    with schema_context(tenant_a.schema_name):
        assert ApiKey.objects.get(pk=api_key.pk).last_used_at >= first_use


def test_a_key_past_its_rate_answers_429_with_retry_after(tenant_a, settings):
    settings.API_KEY_RATE = "3/m"
    _, key = new_key(tenant_a)
    _, other = new_key(tenant_a, name="Another")
    client = key_client(tenant_a, key)
    for _ in range(3):
        assert client.get("/api/v1/shipments/").status_code == 200
    limited = client.get("/api/v1/shipments/")
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert key_client(tenant_a, other).get("/api/v1/shipments/").status_code == 200


def test_a_key_of_one_workspace_is_401_on_another_host(tenant_a, tenant_b):
    make_shipment(tenant_b, reference="BRAVO-ONLY")
    _, key = new_key(tenant_a)
    on_b = key_client(tenant_a, key, host=tenant_host(slug=tenant_b.slug))
    for method, path in [("get", "/api/v1/shipments/"), ("post", "/api/v1/shipments/")]:
        response = on_b.generic(
            method.upper(), path, json.dumps(SHIPMENT), content_type="application/json"
        )
        assert response.status_code == 401
        assert b"BRAVO-ONLY" not in response.content
    with schema_context(tenant_b.schema_name):
        assert not Shipment.objects.filter(reference="KEY-1").exists()


def test_a_key_means_nothing_to_pages(tenant_a):
    _, key = new_key(tenant_a)
    page = key_client(tenant_a, key).get("/shipments/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")


# The page


def test_the_page_makes_a_key_shows_it_once_and_revokes_it(admin_client_a, tenant_a):
    page = admin_client_a.get("/settings/api-keys/")
    assert page.status_code == 200
    assert "The workspace has no API key." in page.content.decode()
    made = admin_client_a.post(
        "/settings/api-keys/",
        {"name": "Warehouse", "scopes": ["shipments:read", "escrows:read"], "expires_on": ""},
    )
    assert made.status_code == 201
    with schema_context(tenant_a.schema_name):
        api_key = ApiKey.objects.get()
    text = made.content.decode()
    key = text.split('<code class="secret">', 1)[1].split("</code>", 1)[0]
    assert key.startswith(api_key.prefix + "_")
    assert key_client(tenant_a, key).get("/api/v1/escrows/").status_code == 200
    again = admin_client_a.get("/settings/api-keys/").content.decode()
    assert "Warehouse" in again and api_key.prefix in again and key not in again

    revoked = admin_client_a.post(f"/settings/api-keys/{api_key.pk}/revoke/")
    assert revoked.status_code == 302
    assert key_client(tenant_a, key).get("/api/v1/escrows/").status_code == 401
    assert (
        "The workspace has no API key."
        in admin_client_a.get("/settings/api-keys/").content.decode()
    )


def test_the_page_expiry_is_the_end_of_the_chosen_day_in_the_admins_time_zone(
    admin_client_a, tenant_a
):
    with schema_context(tenant_a.schema_name):
        admin = admin_of(tenant_a)
        admin.time_zone = "Europe/Berlin"
        admin.save(update_fields=["time_zone"])
    day = (timezone.now() + timedelta(days=10)).date()
    made = admin_client_a.post(
        "/settings/api-keys/", {"name": "Temp", "scopes": ["audit:read"], "expires_on": day}
    )
    assert made.status_code == 201
    with schema_context(tenant_a.schema_name):
        expires_at = ApiKey.objects.get().expires_at
    assert expires_at.isoformat().startswith(f"{day.isoformat()}T2")  # 22:00 or 23:00 UTC


def test_the_page_form_refuses_a_key_without_scopes(admin_client_a, tenant_a):
    made = admin_client_a.post("/settings/api-keys/", {"name": "None"})
    assert made.status_code == 400
    with schema_context(tenant_a.schema_name):
        assert not ApiKey.objects.exists()


def test_an_api_key_rate_reads_as_requests_per_window():
    from loginexus.apikeys.rate import rate_parse

    assert rate_parse("600/m") == (600, 60)
    assert rate_parse("10/5s") == (10, 5)
    assert rate_parse("1000/h") == (1000, 3600)
    with pytest.raises(ValueError, match="600/m"):
        rate_parse("many")

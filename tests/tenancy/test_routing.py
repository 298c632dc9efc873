"""Host routing: the public host, tenant hosts, unknown hosts; admin only on the public host."""

import pytest
from django.contrib.auth import get_user_model

from tests.conftest import PASSWORD, host_client

pytestmark = pytest.mark.django_db


def test_public_host_serves_the_landing_page(public_client):
    response = public_client.get("/")
    assert response.status_code == 200
    assert b"Create your workspace" in response.content


def test_tenant_host_serves_the_tenant_urls(client_a):
    response = client_a.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client_a.get("/accounts/login/").status_code == 200


def test_public_host_does_not_serve_tenant_pages(public_client):
    assert public_client.get("/accounts/login/").status_code == 404


def test_unknown_host_answers_404(tenant_a):
    for host in ("nosuchtenant.localhost", "localhost.evil"):
        assert host_client(host).get("/").status_code in (400, 404)
    assert host_client("nosuchtenant.localhost").get("/").status_code == 404


@pytest.mark.parametrize("client_name", ["public_client", "client_a"])
def test_healthz_reports_database_and_redis_on_every_host(request, client_name):
    response = request.getfixturevalue(client_name).get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_admin_does_not_exist_on_a_tenant_host(admin_client_a):
    assert admin_client_a.get("/admin/").status_code == 404
    assert admin_client_a.get("/admin/login/").status_code == 404


def test_admin_on_the_public_host_requires_staff(public_client):
    anonymous = public_client.get("/admin/")
    assert anonymous.status_code == 302
    assert "/admin/login/" in anonymous["Location"]

    user = get_user_model().objects.create_user("someone@example.com", PASSWORD)
    public_client.force_login(user)
    not_staff = public_client.get("/admin/")
    assert not_staff.status_code == 302
    assert "/admin/login/" in not_staff["Location"]


def test_staff_find_tenants_in_the_admin(public_client, tenant_a, tenant_b):
    staff = get_user_model().objects.create_superuser("staff@example.com", PASSWORD)
    public_client.force_login(staff)
    listing = public_client.get("/admin/tenancy/tenant/", {"q": "alpha"})
    assert listing.status_code == 200
    assert b"Alpha Freight" in listing.content
    assert b"Bravo Freight" not in listing.content
    assert b"http://alpha.localhost:8000/" in listing.content
    detail = public_client.get(f"/admin/tenancy/tenant/{tenant_a.pk}/change/")
    assert detail.status_code == 200
    assert b"alpha.localhost" in detail.content


def test_staff_cannot_add_or_delete_tenants_in_the_admin(public_client, tenant_a):
    staff = get_user_model().objects.create_superuser("staff@example.com", PASSWORD)
    public_client.force_login(staff)
    assert public_client.get("/admin/tenancy/tenant/add/").status_code == 403
    assert public_client.get(f"/admin/tenancy/tenant/{tenant_a.pk}/delete/").status_code == 403

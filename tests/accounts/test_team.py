"""The team: users API and page for admins; members are refused; the last admin stays."""

import json

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD, admin_of, tenant_user

pytestmark = pytest.mark.django_db


def send(client, method, path, body):
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def test_admin_lists_and_adds_users(admin_client_a, tenant_a):
    created = send(
        admin_client_a,
        "post",
        "/api/v1/users/",
        {"email": "New@Alpha.example", "password": PASSWORD},
    )
    assert created.status_code == 201
    assert created.json() | {"id": 0} == {
        "id": 0,
        "email": "new@alpha.example",
        "role": "member",
        "is_active": True,
    }
    listed = admin_client_a.get("/api/v1/users/").json()
    assert [user["email"] for user in listed["results"]] == [
        "admin@alpha.example",
        "new@alpha.example",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "bad", "password": PASSWORD}, "email"),
        ({"email": "admin@alpha.example", "password": PASSWORD}, "email"),
        ({"email": "x@alpha.example", "password": "short"}, "password"),
        ({"email": "x@alpha.example", "password": PASSWORD, "role": "owner"}, "role"),
        ({"password": PASSWORD}, "email"),
    ],
)
def test_bad_user_fields_answer_400(admin_client_a, body, field):
    response = send(admin_client_a, "post", "/api/v1/users/", body)
    assert response.status_code == 400
    assert field in response.json()


def test_deactivating_a_user_frees_them_from_logging_in(admin_client_a, client_a, tenant_a):
    member = tenant_user(tenant_a, email="leaving@alpha.example")
    response = send(admin_client_a, "patch", f"/api/v1/users/{member.pk}/", {"is_active": False})
    assert (response.status_code, response.json()["is_active"]) == (200, False)
    token = client_a.post(
        "/api/v1/auth/token/",
        {"email": "leaving@alpha.example", "password": PASSWORD},
        content_type="application/json",
    )
    assert token.status_code == 400


def test_the_last_admin_cannot_be_deactivated_or_demoted(admin_client_a, tenant_a):
    me = admin_of(tenant_a)
    for body in ({"is_active": False}, {"role": "member"}):
        response = send(admin_client_a, "patch", f"/api/v1/users/{me.pk}/", body)
        assert response.status_code == 409
        assert response.json()["code"] == "last_admin"
    other_admin = tenant_user(tenant_a, role="admin", email="second@alpha.example")
    assert (
        send(
            admin_client_a, "patch", f"/api/v1/users/{other_admin.pk}/", {"role": "member"}
        ).status_code
        == 200
    )
    with schema_context(tenant_a.schema_name):
        assert get_user_model().objects.get(pk=me.pk).is_active


@pytest.mark.parametrize(
    ("method", "path"), [("get", "/api/v1/users/"), ("post", "/api/v1/users/"), ("get", "/team/")]
)
def test_members_are_refused_the_team(member_client_a, method, path):
    assert getattr(member_client_a, method)(path).status_code == 403


def test_another_tenants_user_does_not_exist(admin_client_a, tenant_b):
    theirs = admin_of(tenant_b)
    response = send(
        admin_client_a, "patch", f"/api/v1/users/{theirs.pk + 1000}/", {"is_active": False}
    )
    assert response.status_code == 404


def test_team_page_adds_and_deactivates_users(admin_client_a, tenant_a):
    page = admin_client_a.get("/team/")
    assert page.status_code == 200
    assert "admin@alpha.example" in page.content.decode()
    added = admin_client_a.post(
        "/team/", {"email": "crew@alpha.example", "password": PASSWORD, "role": "member"}
    )
    assert added.status_code == 302
    with schema_context(tenant_a.schema_name):
        crew = get_user_model().objects.get(email="crew@alpha.example")
    assert admin_client_a.post(f"/team/{crew.pk}/deactivate/").status_code == 302
    with schema_context(tenant_a.schema_name):
        assert not get_user_model().objects.get(pk=crew.pk).is_active


def test_team_page_shows_field_errors(admin_client_a):
    response = admin_client_a.post(
        "/team/", {"email": "admin@alpha.example", "password": "x", "role": "member"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "A user with this email already exists." in body

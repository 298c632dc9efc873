"""The team: users API and page for admins; members are refused; the last admin stays."""

import json

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD, admin_of, host_client, logged_in, tenant_user

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


def test_users_list_has_the_contract_shape(admin_client_a, tenant_a):
    tenant_user(tenant_a, email="crew@alpha.example")
    body = admin_client_a.get("/api/v1/users/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert all(set(user) >= {"id", "email", "role", "is_active"} for user in body["results"])


def test_an_admin_cannot_deactivate_themselves_even_with_another_admin(admin_client_a, tenant_a):
    tenant_user(tenant_a, role="admin", email="second@alpha.example")
    me = admin_of(tenant_a)
    response = send(admin_client_a, "patch", f"/api/v1/users/{me.pk}/", {"is_active": False})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "You cannot deactivate yourself or remove your own admin role.",
        "code": "last_admin",
    }
    page = admin_client_a.post(f"/team/{me.pk}/deactivate/")
    assert page.status_code == 409
    assert "You cannot deactivate yourself" in page.content.decode()
    with schema_context(tenant_a.schema_name):
        assert get_user_model().objects.get(pk=me.pk).is_active


def test_the_last_other_admin_cannot_be_deactivated_by_a_colleague(tenant_a):
    """Two admins may not remove each other: the second removal finds one admin left."""
    second = tenant_user(tenant_a, role="admin", email="second@alpha.example")
    first = admin_of(tenant_a)
    by_second = logged_in(host_client("alpha.localhost"), tenant_a, second)
    response = send(by_second, "patch", f"/api/v1/users/{first.pk}/", {"is_active": False})
    assert response.status_code == 200
    with schema_context(tenant_a.schema_name):
        assert list(
            get_user_model()
            .objects.filter(role="admin", is_active=True)
            .values_list("email", flat=True)
        ) == ["second@alpha.example"]


@pytest.mark.parametrize("body", ["{not json", "[]", '{"is_active": "maybe"}', '{"role": 5}'])
def test_malformed_user_changes_answer_400(admin_client_a, tenant_a, body):
    member = tenant_user(tenant_a)
    response = admin_client_a.patch(
        f"/api/v1/users/{member.pk}/", body, content_type="application/json"
    )
    assert response.status_code == 400
    with schema_context(tenant_a.schema_name):
        assert get_user_model().objects.get(pk=member.pk).is_active


def test_members_get_403_with_a_code_and_change_nothing(member_client_a, tenant_a):
    admin = admin_of(tenant_a)
    response = send(member_client_a, "patch", f"/api/v1/users/{admin.pk}/", {"is_active": False})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert member_client_a.post(f"/team/{admin.pk}/deactivate/").status_code == 403
    refused = member_client_a.post(
        "/team/", {"email": "sneaky@alpha.example", "password": PASSWORD, "role": "admin"}
    )
    assert refused.status_code == 403
    with schema_context(tenant_a.schema_name):
        assert get_user_model().objects.get(pk=admin.pk).is_active
        assert not get_user_model().objects.filter(email="sneaky@alpha.example").exists()


def test_anonymous_visitors_are_sent_to_login_or_get_401(client_a):
    page = client_a.get("/team/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")
    assert client_a.get("/api/v1/users/").status_code == 401


def test_team_page_lists_deactivated_users_without_a_button(admin_client_a, tenant_a):
    gone = tenant_user(tenant_a, email="gone@alpha.example")
    send(admin_client_a, "patch", f"/api/v1/users/{gone.pk}/", {"is_active": False})
    html = admin_client_a.get("/team/").content.decode()
    assert "Deactivated" in html
    assert f'action="/team/{gone.pk}/deactivate/"' not in html
    assert f'action="/team/{admin_of(tenant_a).pk}/deactivate/"' not in html


def test_team_page_puts_a_weak_password_error_next_to_the_password(admin_client_a, tenant_a):
    response = admin_client_a.post(
        "/team/", {"email": "weak@alpha.example", "password": "12345", "role": "member"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    block = html[html.index('id="id_password"') :]
    assert "This password is too short." in block[: block.index("</div>")]
    with schema_context(tenant_a.schema_name):
        assert not get_user_model().objects.filter(email="weak@alpha.example").exists()

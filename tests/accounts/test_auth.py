"""Login, logout and tokens on tenant hosts; users of one tenant are strangers to another."""

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from loginexus.accounts.models import Role
from tests.conftest import PASSWORD, admin_of, host_client, logged_in, tenant_user

pytestmark = pytest.mark.django_db


def get_token(client, email, password=PASSWORD):
    return client.post(
        "/api/v1/auth/token/",
        {"email": email, "password": password},
        content_type="application/json",
    )


def test_login_page_logs_a_tenant_user_in_and_logout_logs_out(client_a, tenant_a):
    response = client_a.post(
        "/accounts/login/", {"login": "admin@alpha.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    dashboard = client_a.get("/")
    assert dashboard.status_code == 200
    assert b"admin@alpha.example" in dashboard.content

    assert client_a.post("/accounts/logout/").status_code == 302
    assert client_a.get("/").status_code == 302


def test_login_ignores_the_case_of_the_email(client_a, tenant_a):
    response = client_a.post(
        "/accounts/login/", {"login": "ADMIN@Alpha.Example", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_wrong_password_shows_an_error_on_the_login_page(client_a, tenant_a):
    response = client_a.post(
        "/accounts/login/", {"login": "admin@alpha.example", "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert b"The email address and/or password you specified are not correct." in response.content


def test_inactive_user_cannot_log_in(client_a, tenant_a):
    user = tenant_user(tenant_a, email="gone@alpha.example")
    with schema_context(tenant_a.schema_name):
        get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert get_token(client_a, "gone@alpha.example").status_code == 400


def test_token_endpoint_returns_a_token_that_authenticates(client_a, tenant_a):
    response = get_token(client_a, "admin@alpha.example")
    assert response.status_code == 200
    assert set(response.json()) == {"token"}
    again = get_token(client_a, "admin@alpha.example")
    assert again.json() == response.json()
    authed = host_client("alpha.localhost", HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = authed.get("/api/v1/auth/me/")
    assert me.status_code == 200
    assert me.json()["email"] == "admin@alpha.example"
    assert me.json()["role"] == "admin"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "admin@alpha.example", "password": "wrong"},
        {"email": "nobody@alpha.example", "password": PASSWORD},
        {"email": "not-an-email", "password": PASSWORD},
        {"email": "admin@alpha.example"},
        {},
    ],
)
def test_token_endpoint_answers_400_on_bad_credentials_or_fields(client_a, tenant_a, body):
    response = client_a.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_token_endpoint_answers_400_on_malformed_json(client_a):
    response = client_a.post("/api/v1/auth/token/", "{oops", content_type="application/json")
    assert response.status_code == 400


def test_api_without_or_with_bad_credentials_answers_401(client_a):
    assert client_a.get("/api/v1/auth/me/").status_code == 401
    response = host_client("alpha.localhost", HTTP_AUTHORIZATION="Token not-a-real-token").get(
        "/api/v1/auth/me/"
    )
    assert response.status_code == 401


def test_user_of_one_tenant_cannot_log_in_on_another_tenants_host(client_b, tenant_a, tenant_b):
    response = client_b.post(
        "/accounts/login/", {"login": "admin@alpha.example", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert b"The email address and/or password you specified are not correct." in response.content
    assert get_token(client_b, "admin@alpha.example").status_code == 400


def test_token_of_one_tenant_is_refused_on_another_tenants_host(client_a, tenant_a, tenant_b):
    token = get_token(client_a, "admin@alpha.example").json()["token"]
    on_b = host_client("bravo.localhost", HTTP_AUTHORIZATION=f"Token {token}")
    assert on_b.get("/api/v1/auth/me/").status_code == 401


def test_session_of_one_tenant_is_not_valid_on_another_tenants_host(admin_client_a, tenant_b):
    assert admin_client_a.get("/").status_code == 200
    session_cookie = admin_client_a.cookies["sessionid"].value
    on_b = host_client("bravo.localhost")
    on_b.cookies["sessionid"] = session_cookie
    response = on_b.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_users_of_one_tenant_are_invisible_from_another(tenant_a, tenant_b):
    tenant_user(tenant_a, email="only-in-alpha@alpha.example")
    with schema_context(tenant_b.schema_name):
        emails = set(get_user_model().objects.values_list("email", flat=True))
    assert "only-in-alpha@alpha.example" not in emails
    assert emails == {"admin@bravo.example"}
    with schema_context(tenant_a.schema_name):
        assert get_user_model().objects.filter(email="only-in-alpha@alpha.example").exists()


def test_login_is_rate_limited_per_account(client_a, tenant_a, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "3/m"
    answers = [
        client_a.post("/accounts/login/", {"login": "admin@alpha.example", "password": "bad"})
        for _ in range(4)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert b"Too many attempts" in answers[3].content


def test_token_endpoint_is_rate_limited_per_address(client_a, tenant_a, settings):
    settings.LOGIN_RATE_PER_IP = "2/m"
    answers = [get_token(client_a, "admin@alpha.example", "bad") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [400, 400, 429]
    assert answers[2].json()["code"] == "rate_limited"


def test_first_tenant_user_is_an_admin_and_others_default_to_members(tenant_a):
    assert admin_of(tenant_a).role == Role.ADMIN
    assert tenant_user(tenant_a).role == Role.MEMBER


def test_logged_in_member_sees_the_dashboard(client_a, tenant_a):
    member = tenant_user(tenant_a, email="member@alpha.example")
    response = logged_in(client_a, tenant_a, member).get("/")
    assert response.status_code == 200
    assert b"member@alpha.example" in response.content

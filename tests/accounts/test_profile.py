"""A person's profile: name, language and time zone, on its page and through the API."""

import json

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

pytestmark = pytest.mark.django_db


def me(client):
    return client.get("/api/v1/auth/me/").json()


def test_me_shows_role_name_language_and_time_zone(member_client_a):
    assert me(member_client_a) == {
        "id": me(member_client_a)["id"],
        "email": "member@alpha.example",
        "role": "member",
        "is_active": True,
        "name": "",
        # Not chosen: the browser's language and the workspace's time zone apply.
        "language": "",
        "time_zone": "",
    }


def test_the_profile_page_saves_name_language_and_time_zone(member_client_a, tenant_a):
    page = member_client_a.get("/accounts/profile/")
    assert page.status_code == 200
    assert 'value="Europe/Berlin"' in page.content.decode()
    saved = member_client_a.post(
        "/accounts/profile/", {"name": "Mia Wolf", "language": "de", "time_zone": "Europe/Berlin"}
    )
    assert saved.status_code == 302
    assert {k: me(member_client_a)[k] for k in ("name", "language", "time_zone")} == {
        "name": "Mia Wolf",
        "language": "de",
        "time_zone": "Europe/Berlin",
    }


def test_the_profile_refuses_an_unknown_language_or_time_zone(member_client_a):
    page = member_client_a.post(
        "/accounts/profile/", {"name": "", "language": "xx", "time_zone": "Mars/Olympus"}
    )
    assert page.status_code == 400
    answer = member_client_a.patch(
        "/api/v1/auth/me/",
        json.dumps({"time_zone": "Mars/Olympus"}),
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "is not a time zone" in answer.json()["time_zone"][0]
    assert me(member_client_a)["time_zone"] == ""


def test_the_api_changes_only_what_it_is_sent(member_client_a, tenant_a):
    answer = member_client_a.patch(
        "/api/v1/auth/me/", json.dumps({"language": "de"}), content_type="application/json"
    )
    assert answer.status_code == 200
    assert (answer.json()["language"], answer.json()["time_zone"]) == ("de", "")
    with schema_context(tenant_a.schema_name):
        assert get_user_model().objects.get(email="member@alpha.example").language == "de"


def test_the_profile_page_needs_a_login(client_a):
    assert client_a.get("/accounts/profile/")["Location"].startswith("/accounts/login/")

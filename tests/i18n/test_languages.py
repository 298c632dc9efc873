"""Which language and time zone a page is served in (PRODUCT.md, "Languages and time"): the
person's choice, else the switcher's cookie, else Accept-Language, else the workspace's."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from loginexus.tenancy.models import Tenant

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode())[1]


def set_person(tenant, email, **fields):
    with schema_context(tenant.schema_name):
        get_user_model().objects.filter(email=email).update(**fields)


def test_a_visitor_gets_the_browsers_language(public_client):
    german = public_client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    english = public_client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    unknown = public_client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert (html_lang(german), german["Content-Language"]) == ("de", "de")
    assert (html_lang(english), english["Content-Language"]) == ("en", "en")
    assert html_lang(unknown) == "en"
    assert "Accept-Language" in german["Vary"]


def test_a_browser_preferring_an_unsupported_language_gets_its_next_supported_one(public_client):
    page = public_client.get("/", HTTP_ACCEPT_LANGUAGE="fr;q=1.0, de;q=0.8, en;q=0.5")
    assert html_lang(page) == "de"


def test_the_persons_stored_choice_wins_over_the_browser(member_client_a, tenant_a):
    set_person(tenant_a, "member@alpha.example", language="de")
    page = member_client_a.get("/accounts/profile/", HTTP_ACCEPT_LANGUAGE="en")
    assert html_lang(page) == "de"


def test_without_a_choice_the_browser_decides_then_the_workspace(member_client_a, tenant_a):
    assert html_lang(member_client_a.get("/accounts/profile/", HTTP_ACCEPT_LANGUAGE="de")) == "de"
    Tenant.objects.filter(pk=tenant_a.pk).update(language="de")
    assert html_lang(member_client_a.get("/accounts/profile/")) == "de"
    assert html_lang(member_client_a.get("/accounts/profile/", HTTP_ACCEPT_LANGUAGE="en")) == "en"


def test_the_switcher_keeps_a_visitors_choice_in_a_cookie(public_client):
    answer = public_client.post("/language/", {"language": "de", "next": "/pricing/"})
    assert (answer.status_code, answer["Location"]) == (302, "/pricing/")
    assert answer.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert html_lang(public_client.get("/pricing/", HTTP_ACCEPT_LANGUAGE="en")) == "de"


def test_the_switcher_stores_a_signed_in_persons_choice(member_client_a, tenant_a):
    member_client_a.post("/language/", {"language": "de", "next": "/"})
    with schema_context(tenant_a.schema_name):
        assert get_user_model().objects.get(email="member@alpha.example").language == "de"


def test_the_switcher_refuses_an_unknown_language_and_a_foreign_next(public_client):
    answer = public_client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert (answer.status_code, answer["Location"]) == (302, "/")
    assert settings.LANGUAGE_COOKIE_NAME not in answer.cookies
    assert public_client.get("/language/").status_code == 405


def test_the_header_offers_the_other_language_in_its_own_name(public_client):
    english = public_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    german = public_client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'value="de" lang="de">Deutsch</button>' in english
    assert 'value="en" lang="en">English</button>' in german


def test_an_unknown_hosts_page_is_in_the_browsers_language(db):
    from tests.conftest import host_client

    page = host_client("nobody-here.localhost").get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert page.status_code == 404
    assert html_lang(page) == "de"

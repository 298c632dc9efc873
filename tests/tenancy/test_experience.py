"""Getting in from the public host: the landing page leads to logging in and to the prices, the
signup form names the real address a workspace gets, and the pages speak German."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_landing_page_links_to_log_in_and_to_the_prices(public_client):
    body = public_client.get("/").content.decode()
    assert '<a class="button" href="/find/">Log in</a>' in body
    assert '<a href="/pricing/">Pricing</a>' in body


def test_the_slug_hint_shows_the_real_address_of_a_workspace(public_client, settings):
    settings.SITE_PORT = "8000"
    body = public_client.get("/signup/").content.decode()
    assert "acme.localhost:8000 for the slug" in body
    assert "&lt;slug&gt;.loginexus" not in body and "<slug>.loginexus" not in body


def test_the_slug_hint_leaves_out_the_default_port(public_client, settings):
    settings.SITE_PORT = "80"
    body = public_client.get("/signup/").content.decode()
    assert "acme.localhost for the slug" in body


def test_the_landing_page_is_german_for_a_german_browser(public_client):
    body = public_client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Anmelden" in body
    assert "Preise" in body
    assert "Arbeitsbereich erstellen" in body


def test_the_workspaces_email_is_written_in_the_askers_language(
    public_client, tenant_a, django_capture_on_commit_callbacks
):
    from loginexus.celery import app
    from loginexus.mail.models import OutgoingEmail
    from tests.conftest import tenant_user

    tenant_user(tenant_a, email="known@firm.example")
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            asked = public_client.post(
                "/find/", {"email": "known@firm.example"}, HTTP_ACCEPT_LANGUAGE="de"
            )
    finally:
        app.conf.task_always_eager = False
    assert asked.status_code == 202
    (email,) = OutgoingEmail.objects.all()
    assert '<html lang="de">' in email.html
    assert email.subject == "Ihre LogiNexus-Arbeitsbereiche"

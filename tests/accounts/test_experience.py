"""The team's and invitations' experience: deactivating says what it did and offers the undo,
the invitation email is written in the workspace's language with its dates formatted for it,
role labels and counts are the formatter's, and the pages speak German."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from loginexus.mail.models import OutgoingEmail
from loginexus.tenancy.models import Tenant
from tests.conftest import tenant_user

pytestmark = pytest.mark.django_db


def test_the_deactivation_page_says_what_will_happen(admin_client_a, tenant_a):
    member = tenant_user(tenant_a, email="leaving@alpha.example")
    page = admin_client_a.get(f"/team/{member.pk}/deactivate/").content.decode()
    assert "Deactivate leaving@alpha.example?" in page
    assert "logged out everywhere" in page and "API token stops working" in page
    assert "Their seat becomes free" in page


def test_deactivating_offers_the_undo_in_its_success_message(admin_client_a, tenant_a):
    member = tenant_user(tenant_a, email="leaving@alpha.example")
    done = admin_client_a.post(f"/team/{member.pk}/deactivate/", follow=True)
    page = done.content.decode()
    assert "leaving@alpha.example is deactivated: they are logged out everywhere" in page
    undo = re.search(
        rf'<form method="post" action="/team/{member.pk}/reactivate/" class="inline undo">'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="[\w-]+">'
        r'<button type="submit" class="link">Undo: reactivate leaving@alpha.example</button>',
        page,
    )
    assert undo, page
    token = re.search(r'name="csrfmiddlewaretoken" value="([\w-]+)"', undo[0])[1]
    admin_client_a.handler.enforce_csrf_checks = True
    again = admin_client_a.post(
        f"/team/{member.pk}/reactivate/", {"csrfmiddlewaretoken": token}, follow=True
    )
    assert "leaving@alpha.example can log in again." in again.content.decode()
    with schema_context(tenant_a.schema_name):
        assert get_user_model().objects.get(pk=member.pk).is_active


def test_the_team_page_shows_when_each_person_joined(admin_client_a, tenant_a):
    member = tenant_user(tenant_a, email="crew@alpha.example")
    body = admin_client_a.get("/team/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert member.date_joined.strftime("%d.%m.%Y") in body


def invite(client, email: str, role: str = "member"):
    return client.post(
        "/api/v1/invitations/",
        json.dumps({"email": email, "role": role}),
        content_type="application/json",
    )


def test_the_invitation_email_dates_its_expiry_with_the_formatter(admin_client_a, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(language="de", time_zone="Europe/Berlin")
    assert invite(admin_client_a, "neu@firm.example").status_code == 201
    email = OutgoingEmail.objects.get(to=["neu@firm.example"])
    with schema_context(tenant_a.schema_name):
        from loginexus.accounts.models import Invitation

        expires = Invitation.objects.get(email="neu@firm.example").expires_at
    from zoneinfo import ZoneInfo

    local = expires.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"{local:%d.%m.%Y}, {local:%H:%M}" in email.text
    assert f"{local:%d.%m.%Y}, {local:%H:%M}" in email.html
    assert '<html lang="de">' in email.html


def test_the_invitation_email_to_a_german_workspace_is_german(admin_client_a, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(language="de")
    assert invite(admin_client_a, "neu@firm.example", "admin").status_code == 201
    email = OutgoingEmail.objects.get(to=["neu@firm.example"])
    assert email.subject == "admin@alpha.example lädt Sie zu Alpha Freight auf LogiNexus ein"
    assert "als Administrator" in email.text
    assert "Einladung annehmen" in email.html


def test_the_invitation_email_of_an_english_workspace_stays_english(admin_client_a, tenant_a):
    assert invite(admin_client_a, "new@firm.example", "admin").status_code == 201
    email = OutgoingEmail.objects.get(to=["new@firm.example"])
    assert "to join Alpha Freight on LogiNexus as an admin." in email.text
    assert "The link is valid for 7 days, until " in email.text


def test_the_team_page_is_german_for_a_german_browser(admin_client_a):
    body = admin_client_a.get("/team/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Einladungen" in body
    assert "Beigetreten" in body


def test_the_profile_offers_the_browsers_language_and_names_the_workspaces_zone(
    member_client_a, tenant_a
):
    Tenant.objects.filter(pk=tenant_a.pk).update(time_zone="America/New_York")
    page = member_client_a.get("/accounts/profile/").content.decode()
    assert '<option value="" selected>The browser&#x27;s language</option>' in page
    assert "The workspace&#x27;s time zone (America/New York)" in page

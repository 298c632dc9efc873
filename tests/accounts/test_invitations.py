"""Invitations: admins invite by email with a role, the link signs the person in with the
password they choose, pending invitations hold seats (402 past the plan, race-free), resend,
revoke and expiry end a link, and a link means nothing on another workspace's host."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from loginexus.accounts.models import Invitation, User
from loginexus.mail.models import OutgoingEmail
from tests.conftest import host_client, on_plan, tenant_user

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://(?P<host>[\w.-]+):8000(?P<path>/accounts/invitation/[\w-]+/)")
STRONG = "violet-harbour-tractor-57"


def invite(client, email: str, role: str = "member"):
    return client.post(
        "/api/v1/invitations/",
        json.dumps({"email": email, "role": role}),
        content_type="application/json",
    )


def link_in_last_email(to: str) -> tuple[str, str]:
    email = OutgoingEmail.objects.filter(to=[to]).order_by("-created_at").first()
    found = LINK.search(email.text)
    return found["host"], found["path"]


def test_an_admin_invites_and_the_answer_has_the_contracts_shape(admin_client_a, tenant_a):
    answer = invite(admin_client_a, "New.Person@Firm.example", "admin")
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) == {"id", "email", "role", "status", "expires_at", "invited_by"}
    assert (body["email"], body["role"], body["status"]) == (
        "new.person@firm.example",
        "admin",
        "pending",
    )
    assert body["invited_by"] == "admin@alpha.example"
    email = OutgoingEmail.objects.get(to=["new.person@firm.example"])
    assert email.subject == "admin@alpha.example invites you to Alpha Freight on LogiNexus"
    assert "valid for 7 days" in email.text
    host, _ = link_in_last_email("new.person@firm.example")
    assert host == "alpha.localhost"
    listed = admin_client_a.get("/api/v1/invitations/").json()
    assert [item["email"] for item in listed["results"]] == ["new.person@firm.example"]


def test_the_link_asks_for_a_password_refuses_a_weak_one_and_signs_the_person_in(
    admin_client_a, tenant_a
):
    invite(admin_client_a, "crew@firm.example")
    host, path = link_in_last_email("crew@firm.example")
    browser = host_client(host)
    page = browser.get(path)
    assert page.status_code == 200
    assert "crew@firm.example" in page.content.decode()
    weak = browser.post(path, {"name": "Cr Ew", "password": "Winter2026!"})
    assert weak.status_code == 400
    joined = browser.post(path, {"name": "Cara Ewing", "password": STRONG})
    assert joined.status_code == 302
    assert joined["Location"] == "/"
    me = browser.get("/api/v1/auth/me/").json()
    assert (me["email"], me["role"], me["name"]) == ("crew@firm.example", "member", "Cara Ewing")
    assert browser.get("/billing/").status_code == 403  # a member
    assert browser.get(path).status_code == 404  # used once
    status = admin_client_a.get("/api/v1/invitations/").json()["results"][0]["status"]
    assert status == "accepted"


def test_pending_invitations_hold_seats_and_a_revoked_one_gives_its_seat_back(
    admin_client_a, tenant_a
):
    on_plan(tenant_a, "free")  # 3 seats; the admin holds one
    assert invite(admin_client_a, "one@firm.example").status_code == 201
    assert invite(admin_client_a, "two@firm.example").status_code == 201
    refused = invite(admin_client_a, "three@firm.example")
    assert refused.status_code == 402
    assert (refused.json()["code"], refused.json()["resource"]) == ("plan_limit_exceeded", "users")
    assert refused.json()["used"] == 3
    assert not Invitation.objects.filter(email="three@firm.example").exists()

    pending = admin_client_a.get("/api/v1/invitations/").json()["results"][0]
    assert admin_client_a.delete(f"/api/v1/invitations/{pending['id']}/").status_code == 204
    assert invite(admin_client_a, "three@firm.example").status_code == 201
    again = admin_client_a.delete(f"/api/v1/invitations/{pending['id']}/")
    assert again.status_code == 409
    assert again.json()["code"] == "invitation_not_pending"


def test_a_revoked_or_expired_invitation_link_is_a_404(admin_client_a, tenant_a):
    invite(admin_client_a, "late@firm.example")
    host, path = link_in_last_email("late@firm.example")
    with schema_context(tenant_a.schema_name):
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert host_client(host).get(path).status_code == 404
    listed = admin_client_a.get("/api/v1/invitations/").json()["results"]
    assert listed[0]["status"] == "expired"


def test_resend_renews_the_link_and_the_old_one_stops_working(admin_client_a, tenant_a):
    created = invite(admin_client_a, "again@firm.example").json()
    _, old = link_in_last_email("again@firm.example")
    resent = admin_client_a.post(f"/api/v1/invitations/{created['id']}/resend/")
    assert resent.status_code == 200
    host, new = link_in_last_email("again@firm.example")
    assert new != old
    assert host_client(host).get(old).status_code == 404
    assert host_client(host).get(new).status_code == 200


def test_an_active_users_address_or_a_pending_one_cannot_be_invited(admin_client_a, tenant_a):
    tenant_user(tenant_a, email="here@firm.example")
    taken = invite(admin_client_a, "HERE@firm.example")
    assert taken.status_code == 400
    assert taken.json() == {"email": ["This address is already a user of this workspace."]}
    invite(admin_client_a, "twice@firm.example")
    twice = invite(admin_client_a, "twice@firm.example")
    assert twice.status_code == 400
    assert "pending" in twice.json()["email"][0]


def test_members_cannot_invite(member_client_a):
    assert invite(member_client_a, "x@firm.example").status_code == 403
    assert member_client_a.get("/api/v1/invitations/").status_code == 403


def test_an_invitation_link_of_one_workspace_is_a_404_on_another(
    admin_client_a, tenant_a, tenant_b
):
    invite(admin_client_a, "roamer@firm.example")
    _, path = link_in_last_email("roamer@firm.example")
    elsewhere = host_client("bravo.localhost")
    assert elsewhere.get(path).status_code == 404
    assert elsewhere.post(path, {"password": STRONG}).status_code == 404
    with schema_context(tenant_b.schema_name):
        assert not User.objects.filter(email="roamer@firm.example").exists()


def test_the_team_page_invites_lists_resends_and_revokes(admin_client_a, tenant_a):
    sent = admin_client_a.post(
        "/team/invite/", {"invite-email": "page@firm.example", "invite-role": "member"}
    )
    assert sent.status_code == 302
    page = admin_client_a.get("/team/").content.decode()
    assert "page@firm.example" in page
    with schema_context(tenant_a.schema_name):
        invitation = Invitation.objects.get(email="page@firm.example")
    assert admin_client_a.post(f"/team/invitations/{invitation.pk}/resend/").status_code == 302
    assert OutgoingEmail.objects.filter(to=["page@firm.example"]).count() == 2
    assert admin_client_a.post(f"/team/invitations/{invitation.pk}/revoke/").status_code == 302
    after = admin_client_a.get("/team/").content.decode()
    assert f"/team/invitations/{invitation.pk}/resend/" not in after  # no longer pending
    refused = admin_client_a.post(
        "/team/invite/", {"invite-email": "nope", "invite-role": "member"}
    )
    assert refused.status_code == 400

"""Identity on django-allauth, per workspace: the owner's address verified from the signup's
email, inviting refused until then (403 email_unverified), password reset that never tells
whether an account exists, password and email change, and two-factor login with TOTP codes and
recovery codes (the token API refuses a password alone). Every link means nothing on another
workspace's host."""

import json
import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from loginexus.accounts.services import email_address_record
from loginexus.mail.models import OutgoingEmail
from loginexus.tenancy.models import Tenant
from tests.conftest import PASSWORD, host_client, tenant_user

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://(?P<host>[\w.-]+):8000(?P<path>/accounts/[\w/:.-]+/)")
STRONG = "violet-harbour-tractor-57"


def last_link(to: str, template: str) -> tuple[str, str]:
    email = OutgoingEmail.objects.filter(to=[to], template=template).latest("created_at")
    found = LINK.search(email.text)
    assert found, email.text
    assert found["path"] in email.html
    return found["host"], found["path"]


def invite(client, email: str):
    return client.post(
        "/api/v1/invitations/",
        json.dumps({"email": email, "role": "member"}),
        content_type="application/json",
    )


def signed_in(host: str, email: str, password: str = PASSWORD):
    browser = host_client(host)
    answer = browser.post("/accounts/login/", {"login": email, "password": password})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    return browser, answer


def verified_user(tenant: Tenant, email: str, role: str = "member"):
    user = tenant_user(tenant, email=email, role=role)
    with schema_context(tenant.schema_name):
        email_address_record(user=user, verified=True)
    return user


# Verification at signup, and inviting only once verified


def test_signup_emails_the_owner_a_verification_link_and_inviting_waits_for_it(public_client):
    answer = public_client.post(
        "/api/v1/signup/",
        json.dumps(
            {"company": "Echo Haulage", "slug": "echo-haulage", "email": "Owner@Echo.example",
             "password": STRONG}
        ),
        content_type="application/json",
    )  # fmt: skip
    assert answer.status_code == 201
    email = OutgoingEmail.objects.get(to=["owner@echo.example"])
    assert email.subject.startswith("[Echo Haulage] ")
    assert "Echo Haulage" in email.text and "Echo Haulage" in email.html
    host, path = last_link("owner@echo.example", "email_confirmation_signup")
    assert host == "echo-haulage.localhost"

    owner, _ = signed_in(host, "owner@echo.example", STRONG)
    refused = invite(owner, "crew@echo.example")
    assert refused.status_code == 403
    assert refused.json()["code"] == "email_unverified"
    team = owner.get("/team/").content.decode()
    assert "Verify your email address" in team and "Send the link again" in team

    assert owner.get(path).status_code == 200  # a page that asks to confirm
    assert owner.post(path).status_code == 302
    with schema_context("t_echo_haulage"):
        assert EmailAddress.objects.get(email="owner@echo.example").verified
    assert invite(owner, "crew@echo.example").status_code == 201


def test_a_verification_link_of_one_workspace_is_404_on_another(public_client, client_b):
    public_client.post(
        "/api/v1/signup/",
        json.dumps(
            {"company": "Fox Freight", "slug": "fox-freight", "email": "owner@fox.example",
             "password": STRONG}
        ),
        content_type="application/json",
    )  # fmt: skip
    _, path = last_link("owner@fox.example", "email_confirmation_signup")
    assert client_b.get(path).status_code == 404
    assert client_b.post(path).status_code == 404
    with schema_context("t_fox_freight"):
        assert not EmailAddress.objects.get(email="owner@fox.example").verified


def test_the_team_page_resends_the_verification_link(tenant_a):
    tenant_user(tenant_a, email="late@alpha.example", role="admin")
    with schema_context(tenant_a.schema_name):
        email_address_record(
            user=get_user_model().objects.get(email="late@alpha.example"), verified=False
        )
    browser, _ = signed_in("alpha.localhost", "late@alpha.example")
    sent = browser.post("/accounts/email/", {"email": "late@alpha.example", "action_send": ""})
    assert sent.status_code == 302
    host, _ = last_link("late@alpha.example", "email_confirmation")
    assert host == "alpha.localhost"


# Password reset


def test_forgot_password_email_link_new_password_and_signed_in(client_a, tenant_a):
    tenant_user(tenant_a, email="forgot@alpha.example")
    asked = client_a.post("/accounts/password/reset/", {"email": "Forgot@Alpha.example"})
    assert asked.status_code == 302
    assert asked["Location"] == "/accounts/password/reset/done/"
    host, path = last_link("forgot@alpha.example", "password_reset_key")
    assert host == "alpha.localhost"

    browser = host_client(host)
    opened = browser.get(path)
    assert opened.status_code == 302  # the key moves into the session, out of the address
    form_path = opened["Location"]
    assert browser.get(form_path).status_code == 200
    weak = browser.post(form_path, {"password1": "Winter2026!", "password2": "Winter2026!"})
    assert weak.status_code == 200 and "password" in weak.content.decode().lower()
    done = browser.post(form_path, {"password1": STRONG, "password2": STRONG})
    assert done.status_code == 302
    assert browser.get("/api/v1/auth/me/").json()["email"] == "forgot@alpha.example"
    assert browser.get(path).status_code == 404  # used once
    signed_in("alpha.localhost", "forgot@alpha.example", STRONG)


def test_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(client_a, tenant_a):
    known = client_a.post("/accounts/password/reset/", {"email": "admin@alpha.example"})
    unknown = client_a.post("/accounts/password/reset/", {"email": "nobody@alpha.example"})
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert not OutgoingEmail.objects.filter(to=["nobody@alpha.example"]).exists()
    done = client_a.get(unknown["Location"]).content.decode()
    assert "nobody@alpha.example" not in done


def test_a_reset_link_of_one_workspace_is_404_on_another(client_a, tenant_a, client_b, tenant_b):
    with schema_context(tenant_a.schema_name):
        a_admin = get_user_model().objects.get(email="admin@alpha.example")
    with schema_context(tenant_b.schema_name):
        b_admin = get_user_model().objects.get(email="admin@bravo.example")
    client_a.post("/accounts/password/reset/", {"email": "admin@alpha.example"})
    _, path = last_link("admin@alpha.example", "password_reset_key")
    # The same link with B's admin's id in it (ids repeat across workspaces) is no better.
    b_path = path.replace(f"/key/{_base36(a_admin.pk)}-", f"/key/{_base36(b_admin.pk)}-")
    assert client_b.get(path).status_code == 404
    assert client_b.get(b_path).status_code == 404


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


# Password and email change


def test_password_change_checks_the_old_one_and_the_rules(tenant_a):
    tenant_user(tenant_a, email="changer@alpha.example")
    browser, _ = signed_in("alpha.localhost", "changer@alpha.example")
    wrong = browser.post(
        "/accounts/password/change/",
        {"oldpassword": "not-it", "password1": STRONG, "password2": STRONG},
    )
    assert wrong.status_code == 200
    changed = browser.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": STRONG, "password2": STRONG},
    )
    assert changed.status_code == 302
    signed_in("alpha.localhost", "changer@alpha.example", STRONG)


def test_an_email_change_takes_effect_once_the_new_address_is_verified(tenant_a):
    verified_user(tenant_a, "old.name@alpha.example")
    browser, _ = signed_in("alpha.localhost", "old.name@alpha.example")
    added = browser.post("/accounts/email/", {"email": "New.Name@Alpha.example", "action_add": ""})
    assert added.status_code == 302
    with schema_context(tenant_a.schema_name):
        assert get_user_model().objects.filter(email="old.name@alpha.example").exists()
    host, path = last_link("new.name@alpha.example", "email_confirmation")
    assert host == "alpha.localhost"
    assert browser.post(path).status_code == 302
    with schema_context(tenant_a.schema_name):
        user = get_user_model().objects.get(email="new.name@alpha.example")
        assert user.email_key == "new.name@alpha.example"
        assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified")) == [
            ("new.name@alpha.example", True)
        ]
    signed_in("alpha.localhost", "new.name@alpha.example")


# Two-factor authentication


def totp_now(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def enrol_totp(browser) -> str:
    """Turn on an authenticator app: allauth first asks for the password again."""
    asked = browser.get("/accounts/2fa/totp/activate/")
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/")
    assert browser.post(asked["Location"], {"password": PASSWORD}).status_code == 302
    page = browser.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200, page.status_code
    secret = re.search(r'value="([A-Z2-7]{16,})"', page.content.decode())[1]
    activated = browser.post("/accounts/2fa/totp/activate/", {"code": totp_now(secret)})
    assert activated.status_code == 302
    return secret


def test_two_factor_enrolment_then_login_asks_for_the_code(tenant_a):
    verified_user(tenant_a, "careful@alpha.example")
    browser, _ = signed_in("alpha.localhost", "careful@alpha.example")
    secret = enrol_totp(browser)
    with schema_context(tenant_a.schema_name):
        assert Authenticator.objects.filter(
            user__email="careful@alpha.example", type=Authenticator.Type.TOTP
        ).exists()

    fresh = host_client("alpha.localhost")
    first = fresh.post("/accounts/login/", {"login": "careful@alpha.example", "password": PASSWORD})
    assert first.status_code == 302 and first["Location"] == "/accounts/2fa/authenticate/"
    assert fresh.get("/api/v1/auth/me/").status_code in (401, 403)  # not signed in yet
    wrong = fresh.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    time.sleep(max(0.0, 30 - time.time() % 30) if time.time() % 30 > 29 else 0)
    right = fresh.post("/accounts/2fa/authenticate/", {"code": totp_now(secret)})
    assert right.status_code == 302
    assert fresh.get("/api/v1/auth/me/").json()["email"] == "careful@alpha.example"


def test_an_unverified_address_cannot_turn_on_two_factor(tenant_a):
    tenant_user(tenant_a, email="unsure@alpha.example")
    browser, _ = signed_in("alpha.localhost", "unsure@alpha.example")
    page = browser.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 302 or "verified your email" in page.content.decode()


def test_the_token_api_refuses_a_password_alone_for_a_two_factor_account(client_a, tenant_a):
    verified_user(tenant_a, "robot@alpha.example")
    browser, _ = signed_in("alpha.localhost", "robot@alpha.example")
    enrol_totp(browser)
    with schema_context(tenant_a.schema_name):
        codes = RecoveryCodes(
            Authenticator.objects.get(
                user__email="robot@alpha.example", type=Authenticator.Type.RECOVERY_CODES
            )
        ).get_unused_codes()

    def token(**extra):
        return client_a.post(
            "/api/v1/auth/token/",
            json.dumps({"email": "robot@alpha.example", "password": PASSWORD, **extra}),
            content_type="application/json",
        )

    alone = token()
    assert alone.status_code == 403
    assert alone.json()["code"] == "mfa_required"
    assert token(code="12345678").status_code == 400
    granted = token(code=codes[0])
    assert granted.status_code == 200 and granted.json()["token"]
    assert token(code=codes[0]).status_code == 400  # a recovery code works once
    plain = client_a.post(
        "/api/v1/auth/token/",
        json.dumps({"email": "admin@alpha.example", "password": PASSWORD}),
        content_type="application/json",
    )
    assert plain.status_code == 200  # accounts without two-factor are unchanged

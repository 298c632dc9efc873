"""Identity journeys in a real browser: forgot the password and get back in from the emailed link;
an admin invites a colleague who accepts in a browser of their own and, as a member, sees no
billing; a person turns on two-factor authentication, and the next login asks for the code."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from loginexus.accounts.services import email_address_record
from loginexus.mail.models import OutgoingEmail
from tests.billing.helpers import wait_for
from tests.browser.test_journeys import log_in, tenant_origin
from tests.live_fixtures import LIVE_PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "lantern-orchard-pebble-93"
LINK = re.compile(r"https?://[\w.:-]+/accounts/[\w/:.-]+/")


def emailed_link(to: str, template: str) -> str:
    def found():
        email = OutgoingEmail.objects.filter(to=[to], template=template).order_by("-created_at")
        return email.first()

    email = wait_for(found, message=f"no {template} email to {to}")
    return LINK.search(email.text)[0]


def totp_now(secret: str) -> str:
    if time.time() % 30 > 27:  # not a code about to expire
        time.sleep(30 - time.time() % 30 + 0.5)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_forgot_password_then_the_emailed_link_sets_a_new_one_and_signs_in(
    page: Page, live_site: str, committed_tenant
):
    origin = tenant_origin(live_site, committed_tenant.slug)
    admin = f"admin@{committed_tenant.slug}.example"
    page.goto(f"{origin}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(admin)
    page.get_by_role("button", name=re.compile("Reset")).click()
    expect(page.get_by_role("heading", name=re.compile("Password Reset"))).to_be_visible()

    page.goto(emailed_link(admin, "password_reset_key"))
    page.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New Password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name=re.compile("Change Password")).click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Shipments")).to_be_visible()
    expect(page.get_by_text(admin, exact=True)).to_be_visible()


def test_an_invited_colleague_accepts_in_their_own_browser_and_sees_no_billing(
    page: Page, live_site: str, committed_tenant
):
    origin = tenant_origin(live_site, committed_tenant.slug)
    colleague = f"colleague@{committed_tenant.slug}.example"
    log_in(page, origin, f"admin@{committed_tenant.slug}.example", LIVE_PASSWORD)
    page.goto(f"{origin}/team/")
    page.locator("#id_invite-email").fill(colleague)
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text(f"An invitation is on its way to {colleague}.")).to_be_visible()
    expect(page.locator("table").get_by_text(colleague)).to_be_visible()

    theirs = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    try:
        other = theirs.new_page()
        other.goto(emailed_link(colleague, "invitation"))
        other.get_by_label("Your name").fill("Cole League")
        other.get_by_label("Choose a password").fill(NEW_PASSWORD)
        other.get_by_role("button", name=re.compile("Join|Accept")).click()
        nav = other.get_by_role("navigation")
        expect(nav.get_by_role("link", name="Shipments")).to_be_visible()
        expect(nav.get_by_role("link", name="Billing")).to_have_count(0)
        assert other.goto(f"{origin}/billing/").status == 403
    finally:
        theirs.close()
    page.goto(f"{origin}/team/")
    expect(page.locator("table").get_by_text("Cole League")).to_be_visible()


def test_two_factor_enrolment_then_the_next_login_asks_for_the_code(
    page: Page, live_site: str, committed_tenant
):
    origin = tenant_origin(live_site, committed_tenant.slug)
    email = f"careful@{committed_tenant.slug}.example"
    with schema_context(committed_tenant.schema_name):
        user = get_user_model().objects.create_user(email, LIVE_PASSWORD, role="member")
        email_address_record(user=user, verified=True)
    log_in(page, origin, email, LIVE_PASSWORD)
    page.get_by_role("link", name=email).click()  # the profile
    page.get_by_role("link", name="Two-factor authentication").click()
    page.get_by_role("link", name="Activate").click()
    page.get_by_label("Password").fill(LIVE_PASSWORD)  # allauth asks for it again first
    page.get_by_role("button", name="Confirm").click()
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_now(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text(re.compile("Recovery Codes", re.I)).first).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.goto(f"{origin}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(LIVE_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{origin}/accounts/2fa/authenticate/")
    page.get_by_label("Code").fill(_next_code(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Shipments")).to_be_visible()
    with schema_context(committed_tenant.schema_name):
        assert set(
            Authenticator.objects.filter(user__email=email).values_list("type", flat=True)
        ) == {
            Authenticator.Type.TOTP,
            Authenticator.Type.RECOVERY_CODES,
        }


def _next_code(secret: str) -> str:
    """A code not used yet: the enrolment used the current one, so wait for the next window."""
    time.sleep(30 - time.time() % 30 + 0.5)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))

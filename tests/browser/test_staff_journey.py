"""Platform staff in a real browser: log into the admin, find the tenant whose webhook failed,
and reprocess it once Stripe answers again."""

import re

import pytest
from playwright.sync_api import Page, expect

from billing.models import StripeWebhook
from tests.billing.helpers import (
    entitlement_of,
    failed_webhook,
    wait_for,
)
from tests.conftest import PASSWORD, staff_member, staff_member_remove

pytestmark = pytest.mark.browser

STAFF_EMAIL = "support@loginexus.example"


@pytest.fixture
def support_staff(committed_db):
    """Staff who may see tenants and webhooks and reprocess them; committed, removed after."""
    staff = staff_member(
        email=STAFF_EMAIL,
        permissions=(
            "tenancy.view_tenant",
            "billing.view_stripewebhook",
            "billing.reprocess_stripewebhook",
        ),
    )
    yield staff
    staff_member_remove(staff)


def test_staff_find_the_tenant_and_reprocess_its_failed_webhook(
    page: Page, live_site: str, billing_ready, committed_tenant, sim, web_server, support_staff
):
    # The cause is fixed only on leaving, so the worker's own retries keep failing until staff ask.
    with failed_webhook(sim, web_server, billing_ready, committed_tenant):
        page.goto(f"{live_site}/admin/login/")
        page.get_by_label("Email").fill(STAFF_EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.locator("#content-main").get_by_role("link", name="Tenants").click()
        page.locator("#searchbar").fill(committed_tenant.slug)
        page.keyboard.press("Enter")
        page.get_by_role("link", name=committed_tenant.slug, exact=True).click()
        stripe_panel = page.locator("#tenant-stripe")
        expect(stripe_panel).to_contain_text("failed")
        stripe_panel.get_by_role("link", name="customer.subscription.created").click()
        expect(page.locator("#content-main")).to_contain_text("Payments are unavailable")
        page.get_by_role("link", name="Reprocess").click()
        expect(page.get_by_role("button", name="Yes, reprocess")).to_be_visible()
    page.get_by_role("button", name="Yes, reprocess").click()
    expect(page.get_by_text(re.compile("Queued 1 webhook for reprocessing"))).to_be_visible()
    wait_for(
        lambda: not StripeWebhook.objects.filter(valid=True, processed=False).exists(),
        timeout=30,
    )
    entitlement = entitlement_of(committed_tenant)
    assert (entitlement.subscribed_plan, entitlement.status) == ("pro", "active")
    page.reload()

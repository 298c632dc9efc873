"""A Free workspace's admin in a real browser starts the 14-day trial from the pricing page; the
banner then counts the days on every page, and a renewal awaiting 3-D Secure shows its link."""

import re

import pytest
from playwright.sync_api import Page, expect

from billing.plans import PRO
from tests.billing.helpers import entitlement_of, settled, subscribe
from tests.browser.test_billing_journeys import until_shown
from tests.browser.test_journeys import log_in, tenant_origin
from tests.live_fixtures import LIVE_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def admin(page: Page, live_site: str, billing_ready, committed_tenant):
    origin = tenant_origin(live_site, committed_tenant.slug)
    log_in(page, origin, f"admin@{committed_tenant.slug}.example", LIVE_PASSWORD)
    return origin


def test_admin_starts_a_trial_and_every_page_counts_its_days(
    page: Page, admin: str, committed_tenant, sim
):
    page.goto(f"{admin}/billing/pricing/")
    page.get_by_role("button", name="Start a 14-day Pro trial").click()
    expect(page).to_have_url(f"{admin}/billing/")
    expect(page.get_by_text(re.compile("Your Pro trial runs until"))).to_be_visible()
    assert entitlement_of(committed_tenant).status == "trialing"
    for path in ("/", "/shipments/", "/billing/"):
        page.goto(f"{admin}{path}")
        expect(page.get_by_role("status").filter(has_text="Trial:")).to_contain_text(
            "Trial: 14 days left."
        )
    expect(page.get_by_role("button", name="Add a card to keep the plan")).to_be_visible()
    page.goto(f"{admin}/billing/pricing/")
    expect(page.get_by_role("button", name=re.compile("14-day"))).to_have_count(0)


def test_a_renewal_awaiting_3d_secure_links_every_page_to_the_confirmation(
    page: Page, admin: str, committed_tenant, sim
):
    subscribe(sim, committed_tenant, PRO)
    page.goto(f"{admin}/billing/")
    page.get_by_role("button", name="Manage payment").click()
    page.get_by_role("button", name=re.compile("needs 3-D Secure")).click()
    expect(page).to_have_url(f"{admin}/billing/")
    sim.advance(days=32)
    settled(sim)

    until_shown(page, f"{admin}/", lambda p: p.get_by_role("link", name="Confirm the payment"))
    page.get_by_role("link", name="Confirm the payment").click()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_text("Paid. Thank you!")).to_be_visible()
    settled(sim)
    page.goto(f"{admin}/shipments/")
    expect(page.get_by_role("link", name="Confirm the payment")).to_have_count(0)
    assert entitlement_of(committed_tenant).status == "active"


def test_admin_adds_a_card_in_the_portal_during_the_trial_and_is_billed_at_its_end(
    page: Page, admin: str, committed_tenant, sim
):
    page.goto(f"{admin}/billing/pricing/")
    page.get_by_role("button", name="Start a 14-day Pro trial").click()
    expect(page).to_have_url(f"{admin}/billing/")
    banner = page.get_by_role("status").filter(has_text="Trial:")
    expect(banner).to_contain_text("Trial: 14 days left.")
    expect(page.get_by_role("row").filter(has_text="$49.00")).to_have_count(0)

    banner.get_by_role("button", name="Add a card to keep the plan").click()
    expect(page).to_have_url(re.compile(re.escape(sim.url)))
    expect(page.get_by_text("Status: trialing")).to_be_visible()
    expect(page.get_by_text("none", exact=True)).to_be_visible()  # no card yet
    page.get_by_role("button", name="Use Visa …4242").click()
    expect(page).to_have_url(f"{admin}/billing/")
    page.get_by_role("button", name="Add a card to keep the plan").click()
    expect(page.get_by_text("Visa •••• 4242")).to_be_visible()
    page.get_by_role("link", name="Return").click()
    expect(page).to_have_url(f"{admin}/billing/")

    sim.advance(days=14.1)  # past the trial's end and the hour its first invoice waits
    settled(sim)
    billed = lambda p: p.get_by_role("row").filter(has_text="$49.00")  # noqa: E731
    until_shown(page, f"{admin}/billing/", billed)
    expect(page.get_by_role("heading", name="Pro plan")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Active")
    expect(page.get_by_role("status").filter(has_text="Trial:")).to_have_count(0)
    expect(billed(page)).to_have_count(1)
    expect(billed(page)).to_contain_text("Paid")
    page.goto(f"{admin}/")
    expect(page.get_by_role("status").filter(has_text="Trial:")).to_have_count(0)

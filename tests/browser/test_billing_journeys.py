"""A paying tenant's admin in a real browser: switching plans in the portal, and a failed renewal
that puts a banner on every page until it is paid through the portal."""

import re

import pytest
from playwright.sync_api import Page, expect

from billing.plans import PRO
from tests.billing.helpers import entitlement_of, settled, subscribe
from tests.browser.test_journeys import log_in, tenant_origin
from tests.live_fixtures import LIVE_PASSWORD

pytestmark = pytest.mark.browser


def until_shown(page: Page, url: str, locator_of, timeout: float = 30.0) -> None:
    """Reload `url` until the page shows the locator (a webhook may still be on its way)."""
    for _ in range(int(timeout / 0.5)):
        page.goto(url)
        if locator_of(page).count():
            return
        page.wait_for_timeout(500)
    expect(locator_of(page)).to_be_visible()


@pytest.fixture
def paying_admin(page: Page, live_site: str, billing_ready, committed_tenant, sim):
    subscribe(sim, committed_tenant, PRO)
    origin = tenant_origin(live_site, committed_tenant.slug)
    log_in(page, origin, f"admin@{committed_tenant.slug}.example", LIVE_PASSWORD)
    return origin


def test_admin_switches_to_enterprise_yearly_in_the_portal(
    page: Page, paying_admin: str, sim, committed_tenant
):
    page.goto(f"{paying_admin}/billing/")
    expect(page.get_by_role("heading", name="Pro plan")).to_be_visible()
    assert entitlement_of(committed_tenant).status == "active"
    page.get_by_role("button", name="Manage payment").click()
    expect(page).to_have_url(re.compile(re.escape(sim.url)))

    prices = page.locator("select[name=price]")
    yearly = prices.locator("option").filter(has_text=re.compile("Enterprise .* / year"))
    prices.select_option(yearly.get_attribute("value"))
    page.get_by_role("button", name="Update plan").click()
    expect(page).to_have_url(f"{paying_admin}/billing/")

    until_shown(
        page, f"{paying_admin}/billing/", lambda p: p.get_by_role("heading", name="Enterprise plan")
    )
    expect(page.get_by_text("yearly")).to_be_visible()
    entitlement = entitlement_of(committed_tenant)
    assert (entitlement.subscribed_plan, entitlement.interval) == ("enterprise", "year")


def test_failed_renewal_shows_a_banner_everywhere_until_paid_in_the_portal(
    page: Page, paying_admin: str, sim, committed_tenant
):
    sim.advance(days=32, payment="fail")  # past the renewal and the hour its invoice waits
    settled(sim)
    for path in ("/", "/shipments/", "/escrows/", "/team/", "/billing/"):
        page.goto(f"{paying_admin}{path}")
        expect(page.get_by_role("alert")).to_contain_text("Your last payment failed.")

    page.get_by_role("button", name="Fix the payment").first.click()
    expect(page).to_have_url(re.compile(re.escape(sim.url)))
    page.get_by_role("row").filter(has_text="open").get_by_role("link", name="view").click()
    page.get_by_role("button", name=re.compile("^Pay with Visa")).click()
    expect(page.get_by_text("Paid. Thank you!")).to_be_visible()
    settled(sim)

    page.goto(f"{paying_admin}/billing/")
    expect(page.get_by_text("Your last payment failed.")).to_have_count(0)
    expect(page.get_by_role("heading", name="Pro plan")).to_be_visible()


def test_admin_sees_what_an_upgrade_costs_pays_it_then_schedules_a_downgrade_and_keeps_the_plan(
    page: Page, paying_admin: str, sim, committed_tenant
):
    page.goto(f"{paying_admin}/billing/pricing/?interval=month")
    page.get_by_role("link", name="Switch to Enterprise").click()
    expect(page.get_by_role("heading", name="Switch to Enterprise, billed monthly")).to_be_visible()
    due_now = page.locator("dd.price strong").inner_text()
    expect(page.get_by_text("Now", exact=True)).to_be_visible()
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(f"{paying_admin}/billing/")
    expect(page.get_by_role("heading", name="Enterprise plan")).to_be_visible()
    invoice = page.get_by_role("row").filter(has_text=due_now)
    expect(invoice.first).to_be_visible()

    page.goto(f"{paying_admin}/billing/pricing/?interval=month")
    page.get_by_role("link", name="Switch to Pro").click()
    expect(page.get_by_text("The change takes effect on")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(re.compile(r"Changes to Pro on .+; until then"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Changes to Pro, billed monthly, on .+\."))).to_be_visible()
    expect(page.get_by_role("heading", name="Enterprise plan")).to_be_visible()

    page.get_by_role("button", name="Keep Enterprise").click()
    expect(page.get_by_text("Changes to Pro")).to_have_count(0)
    settled(sim)
    entitlement = entitlement_of(committed_tenant)
    assert (entitlement.subscribed_plan, entitlement.cancel_at_period_end) == ("enterprise", False)

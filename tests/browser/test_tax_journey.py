"""A company in Germany, in a real browser: its checkout is in euros, Stripe Tax adds German VAT,
and the billing page and the invoice's PDF show it."""

import re

import pytest
from playwright.sync_api import Page, expect

from loginexus.tenancy.models import Tenant
from tests.browser.test_billing_journeys import until_shown
from tests.browser.test_journeys import log_in, tenant_origin
from tests.live_fixtures import LIVE_PASSWORD
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.browser

BERLIN = {"line1": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}


@pytest.fixture
def german_admin(page: Page, live_site: str, billing_ready, committed_tenant):
    Tenant.objects.filter(pk=committed_tenant.pk).update(
        **{f"billing_address_{part}": value for part, value in BERLIN.items()},
    )
    origin = tenant_origin(live_site, committed_tenant.slug)
    log_in(page, origin, f"admin@{committed_tenant.slug}.example", LIVE_PASSWORD)
    return origin


def test_a_german_company_pays_45_euros_plus_19_percent_vat_and_its_invoice_pdf_says_so(
    page: Page, german_admin: str, sim
):
    page.goto(f"{german_admin}/billing/pricing/?interval=month")
    currency = page.get_by_role("navigation", name="Currency")
    expect(currency.get_by_role("link", name="EUR")).to_have_attribute("aria-current", "true")
    expect(page.locator("article.plan").filter(has_text="Pro")).to_contain_text("€45")
    page.get_by_role("button", name="Choose Pro").first.click()
    expect(page).to_have_url(re.compile(re.escape(sim.url)))
    expect(page.get_by_text("Total due today: €45.00 plus tax where it applies")).to_be_visible()
    page.get_by_role("button", name=re.compile("^Pay \\(4242")).click()
    expect(page).to_have_url(f"{german_admin}/billing/", timeout=30_000)

    invoice = lambda p: p.get_by_role("row").filter(has_text="€53.55")  # noqa: E731
    until_shown(page, f"{german_admin}/billing/", invoice)
    expect(page.get_by_role("heading", name="Pro plan")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Tax")).to_be_visible()
    expect(invoice(page)).to_contain_text("€8.55")
    expect(invoice(page)).to_contain_text("Paid")

    pdf = page.request.get(invoice(page).get_by_role("link", name="PDF").get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    assert "Subtotal: €45.00" in text
    assert "VAT - DE (19% on €45.00): €8.55" in text
    assert "Total: €53.55" in text
    assert "Amount paid: €53.55" in text
    assert "Hauptstraße 1" in text and "10115 Berlin" in text

    invoice(page).get_by_role("link", name="View").click()  # the hosted invoice page, audited too
    expect(page.get_by_text("Status: paid")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="€45.00")).to_have_count(1)
    expect(page.get_by_text("Tax: €8.55")).to_be_visible()

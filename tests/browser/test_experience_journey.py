"""The pages a tenant admin walks, in English and in German, on a workspace with the demo's
story (a Pro subscription, shipments and escrows in every status, a team): each page in the
language chosen with the header's switcher, checked by axe-core like every page, and saved as a
screenshot under test-output/browser/experience/<language>/; then the phone's header."""

import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from escrows.models import Escrow
from loginexus.tenancy.demo.story import demo_story_seed
from loginexus.tenancy.demo.subscription import demo_subscription_ensure
from shipments.models import Shipment
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_journeys import log_in, tenant_origin
from tests.conftest import PASSWORD, staff_member, staff_member_remove
from tests.live_fixtures import LIVE_PASSWORD

pytestmark = pytest.mark.browser

# (screenshot name, path or a callable of the story's objects, a word the page must show)
PAGES = (
    ("dashboard", "/", {"en": "Shipments", "de": "Sendungen"}),
    ("shipments", "/shipments/", {"en": "Shipments", "de": "Sendungen"}),
    ("shipment", "shipment", {"en": "History", "de": "Verlauf"}),
    ("shipment-new", "/shipments/new/", {"en": "Reference", "de": "Referenz"}),
    ("escrows", "/escrows/", {"en": "Escrows", "de": "Treuhand"}),
    ("escrow", "escrow", {"en": "History", "de": "Verlauf"}),
    ("team", "/team/", {"en": "Team", "de": "Team"}),
    ("settings", "/settings/", {"en": "Workspace settings", "de": "Einstellungen"}),
    ("audit-log", "/settings/audit-log/", {"en": "Audit log", "de": "Protokoll"}),
    ("api-keys", "/settings/api-keys/", {"en": "API keys", "de": "API-Schlüssel"}),
    ("webhooks", "/settings/webhooks/", {"en": "Webhooks", "de": "Webhooks"}),
    ("billing", "/billing/", {"en": "Billing", "de": "Abrechnung"}),
    ("pricing", "/billing/pricing/", {"en": "Pro", "de": "Pro"}),
    ("profile", "/accounts/profile/", {"en": "Language", "de": "Sprache"}),
)
NAV = {
    "en": ("Shipments", "Escrows", "Billing"),
    "de": ("Sendungen", "Treuhandzahlungen", "Abrechnung"),
}


@pytest.fixture
def story_tenant(billing_ready, committed_tenant):
    assert demo_subscription_ensure(tenant=committed_tenant)
    assert demo_story_seed(tenant=committed_tenant)
    with schema_context(committed_tenant.schema_name):
        committed_tenant.shipment_pk = Shipment.objects.filter(status="in_transit").first().pk
        committed_tenant.escrow_pk = Escrow.objects.filter(status="funded").first().pk
    return committed_tenant


def _walk(page: Page, origin: str, tenant, language: str) -> None:
    folder = SCREENSHOTS / "experience" / language
    folder.mkdir(parents=True, exist_ok=True)
    objects = {
        "shipment": f"/shipments/{tenant.shipment_pk}/",
        "escrow": f"/escrows/{tenant.escrow_pk}/",
    }
    for name, path, words in PAGES:
        response = page.goto(origin + objects.get(path, path))
        assert response.status == 200, (language, name, response.status)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("main")).to_contain_text(re.compile(words[language], re.IGNORECASE))
        page.screenshot(path=folder / f"{name}.png", full_page=True)


def test_an_admin_walks_every_page_in_english_then_in_german(
    page: Page, live_site: str, story_tenant
):
    origin = tenant_origin(live_site, story_tenant.slug)
    log_in(page, origin, f"admin@{story_tenant.slug}.example", LIVE_PASSWORD)
    nav = page.locator("nav.nav")
    for word in NAV["en"]:
        expect(nav.get_by_role("link", name=word)).to_be_visible()
    _walk(page, origin, story_tenant, "en")

    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    for word in NAV["de"]:
        expect(nav.get_by_role("link", name=word)).to_be_visible()
    _walk(page, origin, story_tenant, "de")
    # The section in the nav is marked, in words a screen reader says.
    page.goto(f"{origin}/shipments/")
    expect(nav.get_by_role("link", name="Sendungen")).to_have_attribute("aria-current", "page")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_on_a_phone_the_header_stays_small(page: Page, live_site: str, story_tenant):
    page.set_viewport_size({"width": 390, "height": 844})
    origin = tenant_origin(live_site, story_tenant.slug)
    log_in(page, origin, f"admin@{story_tenant.slug}.example", LIVE_PASSWORD)
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] <= 0.15 * 844, header
    page.goto(f"{origin}/shipments/")
    folder = SCREENSHOTS / "experience" / "phone"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / "shipments.png", full_page=False)


def test_a_skip_link_leads_past_the_header(page: Page, live_site: str, story_tenant):
    origin = tenant_origin(live_site, story_tenant.slug)
    log_in(page, origin, f"admin@{story_tenant.slug}.example", LIVE_PASSWORD)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name=re.compile("Skip to content"))
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_after_an_invalid_submit_the_focus_is_on_the_error_summary(
    page: Page, live_site: str, story_tenant
):
    origin = tenant_origin(live_site, story_tenant.slug)
    log_in(page, origin, f"admin@{story_tenant.slug}.example", LIVE_PASSWORD)
    page.goto(f"{origin}/shipments/new/")
    page.get_by_label("Reference").fill("X-1")
    page.get_by_label("Weight (kg)").fill("-5")
    page.locator("main form button[type=submit]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link").first).to_be_visible()


STAFF_PAGES = (
    ("admin-home", "/admin/"),
    ("admin-tenants", "/admin/tenancy/tenant/"),
    ("admin-tenant", "tenant"),
    ("admin-webhooks", "/admin/billing/stripewebhook/"),
    ("admin-metrics", "/admin/metrics/"),
)


@pytest.fixture
def superuser(committed_db):
    staff = staff_member(email="root@loginexus.example")
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    yield staff
    staff_member_remove(staff)


def test_staff_walk_the_admin_in_english_then_in_german(
    page: Page, live_site: str, story_tenant, superuser
):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_site}/admin/login/")
    page.get_by_label("Email").fill(superuser.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    for language, accept in (("en", "en"), ("de", "de")):
        page.set_extra_http_headers({"Accept-Language": accept})
        folder = SCREENSHOTS / "experience" / language
        folder.mkdir(parents=True, exist_ok=True)
        for name, path in STAFF_PAGES:
            url = f"/admin/tenancy/tenant/{story_tenant.pk}/change/" if path == "tenant" else path
            response = page.goto(live_site + url)
            assert response.status == 200, (language, name, response.status)
            expect(page.locator("html")).to_have_attribute("lang", language)
            page.screenshot(path=folder / f"{name}.png", full_page=True)
        # The tenant list fits a laptop's width: no horizontal scrolling.
        page.goto(f"{live_site}/admin/tenancy/tenant/")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

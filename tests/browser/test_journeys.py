"""What users do, end to end in a real browser: sign up and land signed in, hit the Free limit,
pay for Pro on the simulator's checkout page; a member who must not see billing; the API docs."""

import re

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from loginexus.tenancy.models import Tenant
from shipments.services import shipment_create
from tests.live_fixtures import LIVE_PASSWORD

pytestmark = pytest.mark.browser


def tenant_origin(live_site: str, slug: str) -> str:
    return live_site.replace("//localhost", f"//{slug}.localhost")


def log_in(page: Page, origin: str, email: str, password: str) -> None:
    page.goto(f"{origin}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Shipments")).to_be_visible()


def new_shipment(page: Page, origin: str, reference: str) -> None:
    page.goto(f"{origin}/shipments/new/")
    page.get_by_label("Reference").fill(reference)
    page.get_by_label("Origin").fill("Rotterdam")
    page.get_by_label("Destination").fill("Hamburg")
    page.get_by_label("Carrier").fill("Maersk")
    page.get_by_label("Weight (kg)").fill("120")
    page.get_by_role("button", name=re.compile("Create|Save")).click()


@pytest.fixture
def signed_up_slug(billing_ready) -> str:
    """The slug the visitor signs up with; the tenant and its schema are dropped afterwards."""
    slug = "journey-freight"
    yield slug
    connection.set_schema_to_public()
    for tenant in Tenant.objects.filter(slug=slug):
        tenant.delete(force_drop=True)


def test_visitor_signs_up_hits_the_free_limit_and_pays_for_pro(
    page: Page, live_site: str, signed_up_slug: str, sim
):
    page.goto(f"{live_site}/signup/")
    page.get_by_label("Company").fill("Journey Freight")
    page.get_by_label("Slug").fill(signed_up_slug)
    page.get_by_label("Admin email").fill("owner@journey.example")
    page.get_by_label("Password").fill(LIVE_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign up|Create")).click()
    origin = tenant_origin(live_site, signed_up_slug)
    # Signed in on arrival, on the new workspace's dashboard.
    expect(page).to_have_url(f"{origin}/")
    expect(page.get_by_text("owner@journey.example", exact=True)).to_be_visible()
    for number in (1, 2):
        new_shipment(page, origin, f"JF-{number}")
        expect(page.get_by_text(f"JF-{number}").first).to_be_visible()
    with schema_context(f"t_{signed_up_slug.replace('-', '_')}"):
        for number in range(3, 50):  # the form twice is enough; the rest of the 50 directly
            shipment_create(
                reference=f"JF-{number}", origin="A", destination="B", carrier="C", weight_kg="1"
            )
    new_shipment(page, origin, "JF-50")
    expect(page.get_by_text("JF-50").first).to_be_visible()
    new_shipment(page, origin, "JF-51")
    refusal = "Your Free plan allows 50 shipments per period; 50 are used."
    expect(page.get_by_text(refusal)).to_be_visible()

    page.get_by_role("link", name="See plans").click()
    expect(page).to_have_url(f"{origin}/billing/pricing/")
    page.get_by_role("button", name="Choose Pro").first.click()
    expect(page).to_have_url(re.compile(re.escape(sim.url)))  # the simulator's checkout page
    page.get_by_role("button", name=re.compile("^Pay \\(4242")).click()
    expect(page).to_have_url(re.compile(re.escape(f"{origin}/billing/success/")))
    expect(page).to_have_url(f"{origin}/billing/", timeout=30_000)  # once the webhook is in
    expect(page.get_by_role("heading", name="Pro plan")).to_be_visible()
    expect(page.get_by_role("progressbar").first).to_be_visible()
    # Pro's period starts with the subscription: its counters start at zero.
    expect(page.get_by_text("0 / 2,000")).to_be_visible()
    expect(page.locator("table").get_by_role("link", name="View").first).to_be_visible()


def test_a_member_sees_no_billing_or_team_and_is_refused_their_pages(
    page: Page, live_site: str, committed_tenant
):
    from django.contrib.auth import get_user_model

    with schema_context(committed_tenant.schema_name):
        get_user_model().objects.create_user(
            f"member@{committed_tenant.slug}.example", LIVE_PASSWORD, role="member"
        )
    origin = tenant_origin(live_site, committed_tenant.slug)
    log_in(page, origin, f"member@{committed_tenant.slug}.example", LIVE_PASSWORD)

    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Shipments")).to_be_visible()
    expect(nav.get_by_role("link", name="Billing")).to_have_count(0)
    expect(nav.get_by_role("link", name="Team")).to_have_count(0)
    for path in ("/billing/", "/billing/pricing/", "/team/"):
        response = page.goto(f"{origin}{path}")
        assert response.status == 403, path
    page.goto(f"{origin}/shipments/")


def test_the_api_docs_render_under_the_content_security_policy(
    page: Page, live_site: str, committed_tenant
):
    origin = tenant_origin(live_site, committed_tenant.slug)
    log_in(page, origin, f"admin@{committed_tenant.slug}.example", LIVE_PASSWORD)
    response = page.goto(f"{origin}/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # Swagger UI builds the page from its scripts: the operations are there only if they ran.
    expect(page.get_by_text("/api/v1/shipments/").first).to_be_visible()

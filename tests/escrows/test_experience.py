"""What a person sees on the escrow pages: the escrow's own reference, the list's shipment link,
confirmations before money moves, amounts and dates formatted, the limit before the work."""

import json

import pytest
from django_tenants.utils import schema_context

from escrows.models import Escrow
from loginexus.i18n.formatting import day_long
from tests.conftest import make_escrow, make_shipment
from tests.shipments.test_experience import at_the_limit

pytestmark = pytest.mark.django_db


# 8. Escrows


def test_the_lists_shipment_column_opens_the_shipment(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a, reference="LINK-1")
    escrow = make_escrow(tenant_a, shipment=shipment)
    html = admin_client_a.get("/escrows/").content.decode()
    assert f'<a href="/shipments/{shipment.pk}/">LINK-1</a>' in html
    assert f'<a href="/escrows/{escrow.pk}/">{escrow.reference}</a>' in html


def test_an_escrow_has_a_reference_of_its_own_everywhere(admin_client_a, tenant_a):
    escrow = make_escrow(tenant_a)
    reference = f"ESC-{escrow.pk:06d}"
    assert escrow.reference == reference
    detail = admin_client_a.get(f"/escrows/{escrow.pk}/").content.decode()
    assert f"<title>Escrow {reference} · LogiNexus</title>" in detail
    assert f"<h1>Escrow {reference}</h1>" in detail
    assert "Escrow 1 " not in detail
    shipment_page = admin_client_a.get(f"/shipments/{escrow.shipment_id}/").content.decode()
    assert f'<a href="/escrows/{escrow.pk}/">{reference}</a>' in shipment_page
    api = admin_client_a.get(f"/api/v1/escrows/{escrow.pk}/").json()
    assert api["reference"] == reference
    found = admin_client_a.get("/api/v1/escrows/", {"search": reference.lower()}).json()
    assert [row["id"] for row in found["results"]] == [escrow.pk]
    exported = admin_client_a.get("/api/v1/escrows/export/")
    assert f"{escrow.pk},{reference}," in b"".join(exported.streaming_content).decode()


def test_the_reference_is_read_only_in_the_api(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a)
    body = {"shipment": shipment.pk, "buyer": "B", "seller": "S", "amount": "5.00",
            "currency": "EUR", "reference": "ESC-999999"}  # fmt: skip
    created = admin_client_a.post(
        "/api/v1/escrows/", json.dumps(body), content_type="application/json"
    ).json()
    assert created["reference"] == f"ESC-{created['id']:06d}"
    schema = admin_client_a.get("/api/schema/", {"format": "json"}).json()
    escrow_schema = schema["components"]["schemas"]["Escrow"]
    assert escrow_schema["properties"]["reference"]["readOnly"] is True


# 2. Destructive actions


def test_releasing_says_who_is_paid_what_then_the_post_releases(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a, status="delivered")
    escrow = make_escrow(tenant_a, shipment=shipment, status="funded", amount="12500.00")
    detail = admin_client_a.get(f"/escrows/{escrow.pk}/").content.decode()
    release_form = detail[: detail.index(f'action="/escrows/{escrow.pk}/release/"')]
    assert release_form.rsplit("<form", 1)[1].strip().startswith('method="get"')
    asked = admin_client_a.get(f"/escrows/{escrow.pk}/release/")
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Releasing pays €12,500.00 to Seller GmbH." in page
    assert "This cannot be undone." in page
    with schema_context(tenant_a.schema_name):
        assert Escrow.objects.get(pk=escrow.pk).status == "funded"
    assert admin_client_a.post(f"/escrows/{escrow.pk}/release/").status_code == 302
    with schema_context(tenant_a.schema_name):
        assert Escrow.objects.get(pk=escrow.pk).status == "released"


@pytest.mark.parametrize(
    ("action", "words"),
    [
        ("refund", "Refunding pays €1,500.00 back to Buyer BV."),
        ("dispute", "Disputing holds €1,500.00 until the dispute is settled"),
    ],
)
def test_refund_and_dispute_are_confirmed_first(admin_client_a, tenant_a, action, words):
    escrow = make_escrow(tenant_a, status="funded")
    page = admin_client_a.get(f"/escrows/{escrow.pk}/{action}/").content.decode()
    assert words in page and "This cannot be undone." in page
    assert admin_client_a.post(f"/escrows/{escrow.pk}/{action}/").status_code == 302


def test_asking_for_an_action_not_allowed_now_goes_back_to_the_escrow(admin_client_a, tenant_a):
    escrow = make_escrow(tenant_a)  # open: only fund
    response = admin_client_a.get(f"/escrows/{escrow.pk}/release/")
    assert response["Location"] == f"/escrows/{escrow.pk}/"


def test_the_409_page_leads_back_to_the_escrow(admin_client_a, tenant_a):
    escrow = make_escrow(tenant_a, status="refunded")
    refused = admin_client_a.post(f"/escrows/{escrow.pk}/fund/")
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "This escrow is Refunded; its status cannot change any more." in html
    assert f'<a href="/escrows/{escrow.pk}/">Back to the escrow</a>' in html


# 7. Formatting


def test_amounts_and_dates_are_formatted(admin_client_a, tenant_a):
    escrow = make_escrow(tenant_a, amount="12500.00", currency="EUR")
    listed = admin_client_a.get("/escrows/").content.decode()
    assert "€12,500.00" in listed and "12500.00 EUR" not in listed
    detail = admin_client_a.get(f"/escrows/{escrow.pk}/").content.decode()
    assert "€12,500.00" in detail
    assert " UTC</dd>" in detail  # opened, with its time zone


# 3. Limits before the work


def test_at_the_escrow_limit_the_open_buttons_are_off_and_a_refusal_keeps_the_form(
    admin_client_a, tenant_a
):
    shipment = make_shipment(tenant_a)
    resets = at_the_limit(tenant_a, "escrows")
    reason = (
        "Your Free plan's 5 escrows for this period are used; the count starts again on "
        f"{day_long(resets)}."
    )
    for path in ("/escrows/", f"/shipments/{shipment.pk}/", "/"):
        html = admin_client_a.get(path).content.decode()
        assert 'href="/escrows/new/' not in html, path
        assert reason in html, path
    form = {"shipment": shipment.pk, "buyer": "Kept Buyer", "seller": "Kept Seller",
            "amount": "77.00", "currency": "EUR"}  # fmt: skip
    refused = admin_client_a.post("/escrows/new/", form)
    assert refused.status_code == 402
    html = refused.content.decode()
    assert "Your Free plan allows 5 escrows per period; 5 are used." in html
    assert 'value="Kept Buyer"' in html and 'value="77.00"' in html
    assert f"The count starts again on {day_long(resets)}." in html

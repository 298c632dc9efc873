"""Escrow pages: opened from a shipment's page or on their own, errors next to fields, action
buttons for what is legal now, list with filter, search and pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from escrows.models import Escrow
from shipments.services import shipment_transition
from tests.conftest import make_escrow, make_shipment, on_plan

pytestmark = pytest.mark.django_db


def form_for(shipment, /, **changes) -> dict:
    return {
        "shipment": shipment.pk,
        "buyer": "Buyer BV",
        "seller": "Seller GmbH",
        "amount": "99.95",
        "currency": "USD",
        **changes,
    }


def buttons(html: str, escrow) -> list[str]:
    return [
        action
        for action in ("fund", "release", "refund", "dispute")
        if f'action="/escrows/{escrow.pk}/{action}/"' in html
    ]


def test_escrow_opened_from_a_shipment_page(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a)
    shipment_page = admin_client_a.get(f"/shipments/{shipment.pk}/").content.decode()
    assert f'href="/escrows/new/?shipment={shipment.pk}"' in shipment_page
    form = admin_client_a.get("/escrows/new/", {"shipment": shipment.pk}).content.decode()
    assert f'<option value="{shipment.pk}" selected>' in form
    response = admin_client_a.post("/escrows/new/", form_for(shipment))
    assert response.status_code == 302
    with schema_context(tenant_a.schema_name):
        escrow = Escrow.objects.get(shipment=shipment)
    assert (str(escrow.amount), escrow.currency, escrow.status) == ("99.95", "USD", "open")
    detail = admin_client_a.get(response["Location"]).content.decode()
    assert f"Escrow {escrow.reference} opened for shipment {shipment.reference}." in detail
    assert "$99.95" in admin_client_a.get(f"/shipments/{shipment.pk}/").content.decode()


def test_escrow_opened_on_its_own_offers_shipments_that_can_be_secured(admin_client_a, tenant_a):
    open_one = make_shipment(tenant_a, reference="OPEN-1")
    make_shipment(tenant_a, reference="DEAD-1", status="cancelled")
    form = admin_client_a.get("/escrows/new/").content.decode()
    assert "OPEN-1" in form and "DEAD-1" not in form
    assert admin_client_a.post("/escrows/new/", form_for(open_one)).status_code == 302


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"buyer": ""}, "buyer"),
        ({"seller": ""}, "seller"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "10000000.01"}, "amount"),
        ({"currency": "ABC"}, "currency"),
        ({"shipment": "999999"}, "shipment"),
    ],
)
def test_form_errors_appear_next_to_their_fields(admin_client_a, tenant_a, changes, field):
    shipment = make_shipment(tenant_a)
    response = admin_client_a.post("/escrows/new/", form_for(shipment, **changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('class="field has-error"') == 1
    block = html[html.index(f'id="id_{field}"') :]
    assert 'class="error"' in block[: block.index("</div>")]
    with schema_context(tenant_a.schema_name):
        assert not Escrow.objects.exists()


def test_a_cancelled_shipment_posted_anyway_is_a_field_error(admin_client_a, tenant_a):
    cancelled = make_shipment(tenant_a, status="cancelled")
    response = admin_client_a.post("/escrows/new/", form_for(cancelled))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize(
    ("escrow_status", "shipment_status", "expected"),
    [
        ("open", "in_transit", ["fund"]),
        ("funded", "in_transit", ["refund", "dispute"]),
        ("funded", "delivered", ["release", "refund", "dispute"]),
        ("disputed", "booked", ["refund"]),
        ("disputed", "delivered", ["release", "refund"]),
        ("refunded", "delivered", []),
    ],
)
def test_detail_offers_the_actions_legal_now(
    admin_client_a, tenant_a, escrow_status, shipment_status, expected
):
    shipment = make_shipment(tenant_a, status=shipment_status)
    escrow = make_escrow(tenant_a, shipment=shipment, status=escrow_status)
    html = admin_client_a.get(f"/escrows/{escrow.pk}/").content.decode()
    assert buttons(html, escrow) == expected
    waiting = escrow_status in ("funded", "disputed") and shipment_status != "delivered"
    assert ("Release becomes possible once shipment" in html) is waiting


def test_action_buttons_move_the_escrow_and_history_shows_who(admin_client_a, tenant_a):
    escrow = make_escrow(tenant_a, shipment=make_shipment(tenant_a, status="in_transit"))
    assert admin_client_a.post(f"/escrows/{escrow.pk}/fund/").status_code == 302
    early = admin_client_a.post(f"/escrows/{escrow.pk}/release/")
    assert early.status_code == 409
    assert "released only once its shipment is delivered" in early.content.decode()
    with schema_context(tenant_a.schema_name):
        shipment_transition(shipment=escrow.shipment, to_status="delivered", actor=None)
    assert admin_client_a.post(f"/escrows/{escrow.pk}/release/").status_code == 302
    detail = admin_client_a.get(f"/escrows/{escrow.pk}/").content.decode()
    assert f"Escrow {escrow.reference} is now released." in detail
    assert "Open → Funded" in detail and "Funded → Released" in detail
    assert "by admin@alpha.example" in detail
    with schema_context(tenant_a.schema_name):
        assert Escrow.objects.get(pk=escrow.pk).status == "released"


def test_unknown_actions_and_gets_are_refused(admin_client_a, tenant_a):
    escrow = make_escrow(tenant_a)
    assert admin_client_a.post(f"/escrows/{escrow.pk}/explode/").status_code == 404
    assert admin_client_a.get(f"/escrows/{escrow.pk}/fund/")["Location"] == f"/escrows/{escrow.pk}/"
    assert admin_client_a.put(f"/escrows/{escrow.pk}/fund/").status_code == 405
    with schema_context(tenant_a.schema_name):
        assert Escrow.objects.get(pk=escrow.pk).status == "open"


def test_list_filters_searches_and_paginates(admin_client_a, tenant_a):
    on_plan(tenant_a, "enterprise")  # more escrows than Free's 5
    shipment = make_shipment(tenant_a, reference="LANE-9")
    for number in range(21):
        make_escrow(tenant_a, shipment=shipment, buyer=f"Buyer {number:02d}")
    make_escrow(tenant_a, buyer="Solo Trading", status="funded")
    first = admin_client_a.get("/escrows/").content.decode()
    assert "Page 1 of 2" in first
    funded = admin_client_a.get("/escrows/", {"status": "funded"}).content.decode()
    assert "Solo Trading" in funded and "Buyer 01" not in funded
    searched = admin_client_a.get("/escrows/", {"q": "solo"}).content.decode()
    assert "Solo Trading" in searched and "LANE-9" not in searched
    by_reference = admin_client_a.get("/escrows/", {"q": "lane-9"}).content.decode()
    assert "LANE-9" in by_reference and "Solo Trading" not in by_reference
    assert (
        "No escrows match."
        in admin_client_a.get("/escrows/", {"status": "released"}).content.decode()
    )


def test_list_page_queries_do_not_grow_with_the_rows(admin_client_a, tenant_a):
    on_plan(tenant_a, "enterprise")
    make_escrow(tenant_a)
    with CaptureQueriesContext(connection) as one:
        admin_client_a.get("/escrows/")
    for _ in range(15):
        make_escrow(tenant_a)
    with CaptureQueriesContext(connection) as sixteen:
        admin_client_a.get("/escrows/")
    assert len(one) == len(sixteen)


def test_pages_of_another_tenants_escrow_are_404(admin_client_a, tenant_b):
    theirs = make_escrow(tenant_b)
    assert admin_client_a.get(f"/escrows/{theirs.pk}/").status_code == 404
    assert admin_client_a.post(f"/escrows/{theirs.pk}/fund/").status_code == 404
    with schema_context(tenant_b.schema_name):
        assert Escrow.objects.get(pk=theirs.pk).status == "open"

"""Shipment and escrow pages: lists, forms with errors next to fields, buttons for transitions."""

import pytest
from django_tenants.utils import schema_context

from escrows.models import Escrow
from shipments.models import Shipment
from tests.conftest import make_escrow, make_shipment

pytestmark = pytest.mark.django_db

FORM = {
    "reference": "WEB-1",
    "origin": "Antwerp",
    "destination": "Lyon",
    "carrier": "DSV",
    "weight_kg": "80",
}


def test_new_shipment_form_creates_and_shows_the_shipment(admin_client_a, tenant_a):
    assert 'name="reference"' in admin_client_a.get("/shipments/new/").content.decode()
    response = admin_client_a.post("/shipments/new/", FORM)
    assert response.status_code == 302
    with schema_context(tenant_a.schema_name):
        shipment = Shipment.objects.get(reference="WEB-1")
    detail = admin_client_a.get(response["Location"]).content.decode()
    assert "Antwerp → Lyon" in detail
    assert "Mark Booked" in detail and "Mark Cancelled" in detail
    assert "Mark Delivered" not in detail
    assert shipment.status == "draft"


def test_form_errors_appear_next_to_their_fields(admin_client_a):
    response = admin_client_a.post("/shipments/new/", {**FORM, "weight_kg": "-2", "origin": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert body.count('class="field has-error"') == 2
    assert "Ensure this value is greater than or equal to 0.001." in body


def test_transition_buttons_move_the_shipment_and_history_shows_it(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a)
    response = admin_client_a.post(f"/shipments/{shipment.pk}/status/", {"status": "booked"})
    assert response.status_code == 302
    detail = admin_client_a.get(f"/shipments/{shipment.pk}/").content.decode()
    assert "Draft → Booked" in detail and "admin@alpha.example" in detail
    refused = admin_client_a.post(f"/shipments/{shipment.pk}/status/", {"status": "delivered"})
    assert refused.status_code == 409
    assert "can only become: in_transit, cancelled" in refused.content.decode()


def test_list_filters_searches_and_paginates(admin_client_a, tenant_a):
    for number in range(22):
        make_shipment(
            tenant_a, reference=f"LIST-{number:02d}", origin="Oslo" if number == 5 else "Rome"
        )
    first = admin_client_a.get("/shipments/").content.decode()
    assert "Page 1 of 2" in first
    assert "LIST-05" in admin_client_a.get("/shipments/?q=oslo").content.decode()
    assert "LIST-06" not in admin_client_a.get("/shipments/?q=oslo").content.decode()
    assert (
        "No shipments match." in admin_client_a.get("/shipments/?status=delivered").content.decode()
    )


def test_edit_form_only_while_editable(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a)
    assert (
        admin_client_a.post(
            f"/shipments/{shipment.pk}/edit/",
            {**FORM, "reference": shipment.reference, "carrier": "GLS"},
        ).status_code
        == 302
    )
    moving = make_shipment(tenant_a, status="in_transit")
    assert admin_client_a.get(f"/shipments/{moving.pk}/edit/").status_code == 302


def test_escrow_from_a_shipment_page_and_its_action_buttons(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a)
    form = admin_client_a.get(f"/escrows/new/?shipment={shipment.pk}").content.decode()
    assert f'<option value="{shipment.pk}" selected>' in form
    response = admin_client_a.post(
        "/escrows/new/",
        {
            "shipment": shipment.pk,
            "buyer": "B",
            "seller": "S",
            "amount": "99.95",
            "currency": "USD",
        },
    )
    assert response.status_code == 302
    with schema_context(tenant_a.schema_name):
        escrow = Escrow.objects.get(shipment=shipment)
    detail = admin_client_a.get(f"/escrows/{escrow.pk}/").content.decode()
    assert "Fund" in detail and "Release" not in detail
    assert admin_client_a.post(f"/escrows/{escrow.pk}/fund/").status_code == 302
    assert admin_client_a.post(f"/escrows/{escrow.pk}/release/").status_code == 409
    assert admin_client_a.post(f"/escrows/{escrow.pk}/explode/").status_code == 404


def test_escrow_form_errors_next_to_fields(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a)
    response = admin_client_a.post(
        "/escrows/new/",
        {"shipment": shipment.pk, "buyer": "", "seller": "S", "amount": "0", "currency": "ABC"},
    )
    assert response.status_code == 400
    assert response.content.decode().count('class="field has-error"') == 3


def test_dashboard_counts_shipments_by_status(admin_client_a, tenant_a):
    make_shipment(tenant_a, status="booked")
    make_shipment(tenant_a, status="booked")
    make_escrow(tenant_a)
    body = admin_client_a.get("/").content.decode()
    assert "<strong>2</strong> booked" in body
    assert "1 open escrow." in body


def test_pages_of_another_tenants_objects_are_404(admin_client_a, tenant_b):
    escrow = make_escrow(tenant_b)
    with schema_context(tenant_b.schema_name):
        count = Shipment.objects.count()
    assert admin_client_a.get(f"/shipments/{escrow.shipment_id + count + 1000}/").status_code == 404
    assert admin_client_a.get(f"/escrows/{escrow.pk + 1000}/").status_code == 404

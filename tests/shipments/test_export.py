"""CSV export of shipments and escrows: the list's filters, streamed from the database's cursor,
formula-safe cells, the workspace's rows only, and a button on each list page."""

import csv
import io

import pytest
from django_tenants.utils import schema_context

from escrows.models import Escrow
from loginexus.exports import csv_cell
from shipments.models import Shipment
from tests.conftest import make_escrow, make_shipment

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming  # written row by row, never built whole in memory
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_shipments_export_follows_the_lists_filters(admin_client_a, tenant_a):
    make_shipment(tenant_a, reference="EX-DRAFT")
    make_shipment(tenant_a, reference="EX-BOOKED", status="booked")
    everything = rows_of(admin_client_a.get("/api/v1/shipments/export/"))
    with schema_context(tenant_a.schema_name):
        assert len(everything) == Shipment.objects.count()
    assert list(everything[0]) == [
        "id", "reference", "origin", "destination", "carrier", "weight_kg",
        "expected_delivery", "status", "created_at", "updated_at",
    ]  # fmt: skip
    booked = rows_of(admin_client_a.get("/api/v1/shipments/export/?status=booked&search=EX-"))
    assert [row["reference"] for row in booked] == ["EX-BOOKED"]
    assert admin_client_a.get("/api/v1/shipments/export/?status=lost").status_code == 400


def test_escrows_export_names_the_shipment_and_filters(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a, reference="EX-SECURED")
    make_escrow(tenant_a, shipment=shipment, buyer="Buyer One", amount="12.50")
    rows = rows_of(admin_client_a.get("/api/v1/escrows/export/?search=Buyer One"))
    assert [(row["shipment_reference"], row["buyer"], row["amount"]) for row in rows] == [
        ("EX-SECURED", "Buyer One", "12.50")
    ]
    with schema_context(tenant_a.schema_name):
        assert len(rows_of(admin_client_a.get("/api/v1/escrows/export/"))) == (
            Escrow.objects.count()
        )


def test_cells_that_would_run_as_a_formula_are_made_inert(admin_client_a, tenant_a):
    make_shipment(tenant_a, reference="=HYPERLINK(1)", origin="+1 Port", destination="@SUM(A1)")
    row = next(
        row
        for row in rows_of(admin_client_a.get("/api/v1/shipments/export/"))
        if row["reference"].endswith("HYPERLINK(1)")
    )
    assert (row["reference"], row["origin"], row["destination"]) == (
        "'=HYPERLINK(1)", "'+1 Port", "'@SUM(A1)",
    )  # fmt: skip
    assert [csv_cell(v) for v in ("-2", "\tx", "plain", None)] == ["'-2", "'\tx", "plain", ""]


def test_another_workspaces_rows_are_not_exported(admin_client_a, tenant_b):
    make_shipment(tenant_b, reference="BRAVO-ONLY")
    rows = rows_of(admin_client_a.get("/api/v1/shipments/export/"))
    assert "BRAVO-ONLY" not in [row["reference"] for row in rows]


def test_anonymous_visitors_get_401(client_a):
    assert client_a.get("/api/v1/shipments/export/").status_code == 401


def test_each_list_page_offers_the_export_of_what_it_shows(admin_client_a, tenant_a):
    page = admin_client_a.get("/shipments/?status=booked&q=EX").content.decode()
    assert 'href="/api/v1/shipments/export/?status=booked&amp;search=EX"' in page
    assert 'href="/api/v1/escrows/export/"' in admin_client_a.get("/escrows/").content.decode()

"""The escrows API: create and validation, actions and their 409s, isolation, lists."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from escrows.models import Escrow
from shipments.models import Shipment
from shipments.services import shipment_transition
from tests.conftest import make_escrow, make_shipment, on_plan

pytestmark = pytest.mark.django_db

SHAPE = {"id", "shipment", "buyer", "seller", "amount", "currency", "status", "created_at"}


def post(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def good(shipment) -> dict:
    return {
        "shipment": shipment.pk,
        "buyer": "Acme BV",
        "seller": "Freight GmbH",
        "amount": "2500.00",
        "currency": "eur",
    }


def test_open_an_escrow_for_a_shipment(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a)
    response = post(admin_client_a, "/api/v1/escrows/", good(shipment))
    assert response.status_code == 201
    body = response.json()
    assert set(body) >= SHAPE
    assert (body["shipment"], body["amount"], body["currency"], body["status"]) == (
        shipment.pk,
        "2500.00",
        "EUR",
        "open",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("shipment", 999999),
        ("shipment", "abc"),
        ("buyer", ""),
        ("seller", None),
        ("amount", "0"),
        ("amount", "-1.00"),
        ("amount", "10000000.01"),
        ("amount", "1.001"),
        ("amount", "NaN"),
        ("currency", "XYZ"),
        ("currency", "EURO"),
    ],
)
def test_each_bad_field_answers_400_naming_it(admin_client_a, tenant_a, field, value):
    response = post(
        admin_client_a, "/api/v1/escrows/", {**good(make_shipment(tenant_a)), field: value}
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_actions_follow_the_machine_and_release_waits_for_delivery(admin_client_a, tenant_a):
    escrow = make_escrow(tenant_a)
    url = f"/api/v1/escrows/{escrow.pk}"
    assert post(admin_client_a, f"{url}/release/").status_code == 409
    assert post(admin_client_a, f"{url}/fund/").json()["status"] == "funded"
    early = post(admin_client_a, f"{url}/release/")
    assert early.status_code == 409
    assert early.json()["code"] == "shipment_not_delivered"
    assert post(admin_client_a, f"{url}/dispute/").json()["status"] == "disputed"
    with schema_context(tenant_a.schema_name):
        shipment = Shipment.objects.get(pk=escrow.shipment_id)
        for step in ("booked", "in_transit", "delivered"):
            shipment = shipment_transition(shipment=shipment, to_status=step, actor=None)
    released = post(admin_client_a, f"{url}/release/")
    assert (released.status_code, released.json()["status"]) == (200, "released")
    again = post(admin_client_a, f"{url}/refund/")
    assert again.status_code == 409
    assert again.json()["allowed"] == []


def test_another_tenants_escrow_and_shipment_do_not_exist(admin_client_a, tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        highest_in_a = max(Shipment.objects.values_list("pk", flat=True), default=0)
    theirs = make_escrow(tenant_b)
    while theirs.shipment.pk <= highest_in_a:  # an id that exists in B only
        theirs = make_escrow(tenant_b)
    assert admin_client_a.get(f"/api/v1/escrows/{theirs.pk}/").status_code == 404
    assert post(admin_client_a, f"/api/v1/escrows/{theirs.pk}/fund/").status_code == 404
    response = post(admin_client_a, "/api/v1/escrows/", good(theirs.shipment))
    assert response.status_code == 400
    assert list(response.json()) == ["shipment"]
    with schema_context(tenant_b.schema_name):
        assert Escrow.objects.get(pk=theirs.pk).status == "open"


def test_list_filters_by_status_and_shipment(admin_client_a, tenant_a):
    first = make_escrow(tenant_a, status="funded")
    make_escrow(tenant_a)
    funded = admin_client_a.get("/api/v1/escrows/", {"status": "funded"}).json()
    assert [row["id"] for row in funded["results"]] == [first.pk]
    by_shipment = admin_client_a.get("/api/v1/escrows/", {"shipment": first.shipment_id}).json()
    assert [row["id"] for row in by_shipment["results"]] == [first.pk]
    assert admin_client_a.get("/api/v1/escrows/", {"shipment": "x"}).status_code == 400
    assert admin_client_a.get("/api/v1/escrows/", {"status": "gone"}).status_code == 400


def test_list_query_count_does_not_grow_with_page_size(admin_client_a, tenant_a):
    on_plan(tenant_a, "enterprise")  # 50 escrows are past Free's 5
    shipment = make_shipment(tenant_a)
    for _ in range(50):
        make_escrow(tenant_a, shipment=shipment)
    counts = []
    for size in (1, 50):
        with CaptureQueriesContext(connection) as queries:
            assert admin_client_a.get("/api/v1/escrows/", {"page_size": size}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]

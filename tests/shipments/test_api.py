"""The shipments API: CRUD, validation per field, status changes (409), isolation, lists."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shipments.models import Shipment
from tests.conftest import make_escrow, make_shipment

pytestmark = pytest.mark.django_db

GOOD = {
    "reference": "SHP-1001",
    "origin": "Rotterdam",
    "destination": "Hamburg",
    "carrier": "Maersk",
    "weight_kg": "1250.500",
    "expected_delivery": "2026-12-24",
}
SHAPE = {
    "id",
    "reference",
    "origin",
    "destination",
    "carrier",
    "weight_kg",
    "status",
    "created_at",
    "updated_at",
}


def send(client, method, path, body):
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def test_create_then_read_a_shipment(admin_client_a, tenant_a):
    created = send(admin_client_a, "post", "/api/v1/shipments/", GOOD)
    assert created.status_code == 201
    body = created.json()
    assert set(body) >= SHAPE
    assert (body["reference"], body["weight_kg"], body["status"]) == (
        "SHP-1001",
        "1250.500",
        "draft",
    )
    fetched = admin_client_a.get(f"/api/v1/shipments/{body['id']}/")
    assert fetched.status_code == 200
    assert fetched.json() == body
    with schema_context(tenant_a.schema_name):
        shipment = Shipment.objects.get(pk=body["id"])
        assert [(e.to_status, e.actor.email) for e in shipment.events.all()] == [
            ("draft", "admin@alpha.example")
        ]


def test_members_can_work_with_shipments(member_client_a):
    assert send(member_client_a, "post", "/api/v1/shipments/", GOOD).status_code == 201
    assert member_client_a.get("/api/v1/shipments/").json()["count"] == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reference", ""),
        ("reference", "x" * 65),
        ("origin", ""),
        ("destination", None),
        ("carrier", ""),
        ("weight_kg", "0"),
        ("weight_kg", "-3"),
        ("weight_kg", "abc"),
        ("weight_kg", "1e400"),
        ("weight_kg", "1.0001"),
        ("weight_kg", "99999999"),
        ("expected_delivery", "tomorrow"),
        ("expected_delivery", "2026-02-30"),
    ],
)
def test_each_bad_field_answers_400_naming_it(admin_client_a, field, value):
    response = send(admin_client_a, "post", "/api/v1/shipments/", {**GOOD, field: value})
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_duplicate_reference_answers_400_on_the_reference(admin_client_a):
    assert send(admin_client_a, "post", "/api/v1/shipments/", GOOD).status_code == 201
    response = send(admin_client_a, "post", "/api/v1/shipments/", GOOD)
    assert response.status_code == 400
    assert response.json() == {"reference": ["A shipment with this reference already exists."]}


@pytest.mark.parametrize("body", ["{broken", "[]", '"text"'])
def test_malformed_bodies_answer_400(admin_client_a, body):
    response = admin_client_a.post("/api/v1/shipments/", body, content_type="application/json")
    assert response.status_code == 400


def test_status_change_through_patch_and_illegal_one_answers_409(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a)
    url = f"/api/v1/shipments/{shipment.pk}/"
    booked = send(admin_client_a, "patch", url, {"status": "booked"})
    assert booked.status_code == 200
    assert booked.json()["status"] == "booked"
    refused = send(admin_client_a, "patch", url, {"status": "delivered"})
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "A shipment that is booked can only become: in_transit, cancelled.",
        "code": "illegal_transition",
        "current": "booked",
        "requested": "delivered",
        "allowed": ["in_transit", "cancelled"],
    }
    assert send(admin_client_a, "patch", url, {"status": "lost"}).status_code == 400


def test_details_are_editable_until_the_shipment_travels(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a, status="booked")
    url = f"/api/v1/shipments/{shipment.pk}/"
    edited = send(admin_client_a, "patch", url, {"carrier": "DB Schenker"})
    assert (edited.status_code, edited.json()["carrier"]) == (200, "DB Schenker")
    send(admin_client_a, "patch", url, {"status": "in_transit"})
    locked = send(admin_client_a, "patch", url, {"carrier": "Someone else"})
    assert locked.status_code == 409
    assert locked.json()["code"] == "shipment_locked"


def test_delete_only_draft_or_cancelled_shipments_without_escrows(admin_client_a, tenant_a):
    draft = make_shipment(tenant_a)
    assert admin_client_a.delete(f"/api/v1/shipments/{draft.pk}/").status_code == 204
    booked = make_shipment(tenant_a, status="booked")
    assert admin_client_a.delete(f"/api/v1/shipments/{booked.pk}/").status_code == 409
    secured = make_escrow(tenant_a).shipment
    assert admin_client_a.delete(f"/api/v1/shipments/{secured.pk}/").status_code == 409
    with schema_context(tenant_a.schema_name):
        assert set(Shipment.objects.values_list("pk", flat=True)) == {booked.pk, secured.pk}


def test_another_tenants_shipment_does_not_exist(admin_client_a, tenant_b):
    theirs = make_shipment(tenant_b)
    url = f"/api/v1/shipments/{theirs.pk}/"
    assert admin_client_a.get(url).status_code == 404
    assert send(admin_client_a, "patch", url, {"status": "booked"}).status_code == 404
    assert admin_client_a.delete(url).status_code == 404
    with schema_context(tenant_b.schema_name):
        assert Shipment.objects.get(pk=theirs.pk).status == "draft"


def test_list_filters_by_status_and_searches(admin_client_a, tenant_a):
    make_shipment(tenant_a, reference="AMS-1", origin="Amsterdam")
    make_shipment(tenant_a, reference="BER-1", destination="Berlin", status="booked")
    make_shipment(tenant_a, reference="PAR-1", origin="Paris", status="booked")
    booked = admin_client_a.get("/api/v1/shipments/", {"status": "booked"}).json()
    assert {row["reference"] for row in booked["results"]} == {"BER-1", "PAR-1"}
    found = admin_client_a.get("/api/v1/shipments/", {"search": "berl"}).json()
    assert [row["reference"] for row in found["results"]] == ["BER-1"]
    assert admin_client_a.get("/api/v1/shipments/", {"status": "lost"}).status_code == 400


def test_list_is_paginated(admin_client_a, tenant_a):
    for number in range(3):
        make_shipment(tenant_a, reference=f"P-{number}")
    first = admin_client_a.get("/api/v1/shipments/", {"page_size": 2}).json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert (first["count"], len(first["results"]), first["previous"]) == (3, 2, None)
    second = admin_client_a.get(first["next"].replace("http://alpha.localhost", "")).json()
    assert len(second["results"]) == 1
    assert admin_client_a.get("/api/v1/shipments/", {"page": 9}).status_code == 404


def test_list_query_count_does_not_grow_with_page_size(admin_client_a, tenant_a):
    for number in range(50):
        make_shipment(tenant_a, reference=f"Q-{number:02d}")
    counts = []
    for size in (1, 50):
        with CaptureQueriesContext(connection) as queries:
            assert admin_client_a.get("/api/v1/shipments/", {"page_size": size}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_anonymous_callers_get_401(client_a):
    assert client_a.get("/api/v1/shipments/").status_code == 401

"""The shipments API: CRUD, validation per field, status changes (409), isolation, lists."""

import itertools
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shipments.models import SHIPMENT_TRANSITIONS, Shipment, ShipmentEvent, ShipmentStatus
from tests.conftest import admin_of, host_client, make_escrow, make_shipment

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
        "detail": "This shipment is Booked; it can only become: In transit, Cancelled.",
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


def test_anonymous_callers_get_401_with_a_code(client_a):
    response = client_a.get("/api/v1/shipments/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product(ShipmentStatus.values, repeat=2))
)
def test_patch_status_follows_the_transition_table(admin_client_a, tenant_a, current, target):
    shipment = make_shipment(tenant_a, status=current)
    response = send(
        admin_client_a, "patch", f"/api/v1/shipments/{shipment.pk}/", {"status": target}
    )
    with schema_context(tenant_a.schema_name):
        last = ShipmentEvent.objects.filter(shipment=shipment).last()
        stored = Shipment.objects.get(pk=shipment.pk).status
    if target == current:  # asking for the status it has changes nothing
        assert (response.status_code, stored, last.to_status) == (200, current, current)
    elif target in SHIPMENT_TRANSITIONS[current]:
        assert (response.status_code, response.json()["status"], stored) == (200, target, target)
        assert (last.from_status, last.to_status, last.actor.email) == (
            current,
            target,
            "admin@alpha.example",
        )
    else:
        assert response.status_code == 409
        body = response.json()
        assert (body["code"], body["allowed"]) == (
            "illegal_transition",
            list(SHIPMENT_TRANSITIONS[current]),
        )
        assert stored == current
        assert last.to_status == current


def test_patch_with_details_and_an_illegal_status_changes_nothing(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a, status="booked", carrier="DHL")
    url = f"/api/v1/shipments/{shipment.pk}/"
    refused = send(admin_client_a, "patch", url, {"carrier": "UPS", "status": "delivered"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "illegal_transition"
    with schema_context(tenant_a.schema_name):
        assert Shipment.objects.values_list("carrier", "status").get(pk=shipment.pk) == (
            "DHL",
            "booked",
        )
    both = send(admin_client_a, "patch", url, {"carrier": "UPS", "status": "in_transit"})
    assert (both.status_code, both.json()["carrier"], both.json()["status"]) == (
        200,
        "UPS",
        "in_transit",
    )


def test_put_replaces_the_details(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a)
    response = send(
        admin_client_a, "put", f"/api/v1/shipments/{shipment.pk}/", {**GOOD, "origin": "Gdansk"}
    )
    assert response.status_code == 200
    assert (response.json()["origin"], response.json()["reference"]) == ("Gdansk", "SHP-1001")
    incomplete = send(admin_client_a, "put", f"/api/v1/shipments/{shipment.pk}/", {"origin": "X"})
    assert incomplete.status_code == 400
    assert {"reference", "destination", "carrier", "weight_kg"} <= set(incomplete.json())


def test_editing_to_a_taken_reference_answers_400(admin_client_a, tenant_a):
    make_shipment(tenant_a, reference="TAKEN-1")
    mine = make_shipment(tenant_a)
    response = send(
        admin_client_a, "patch", f"/api/v1/shipments/{mine.pk}/", {"reference": "TAKEN-1"}
    )
    assert response.status_code == 400
    assert response.json() == {"reference": ["A shipment with this reference already exists."]}


def test_the_same_reference_may_exist_in_another_tenant(admin_client_a, tenant_b):
    make_shipment(tenant_b, reference="SHP-1001")
    assert send(admin_client_a, "post", "/api/v1/shipments/", GOOD).status_code == 201


def test_numbers_as_json_numbers_are_read_as_decimals(admin_client_a):
    response = send(admin_client_a, "post", "/api/v1/shipments/", {**GOOD, "weight_kg": 12.5})
    assert (response.status_code, response.json()["weight_kg"]) == (201, "12.500")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("weight_kg", True),
        ("weight_kg", [1]),
        ("weight_kg", {"kg": 1}),
        ("weight_kg", 10**400),
        ("reference", ["SHP"]),
        ("origin", {"city": "Oslo"}),
        ("origin", 9666168),
        ("carrier", -4.89e16),
        ("expected_delivery", 20261224),
        ("expected_delivery", "99999-01-01"),
    ],
)
def test_wrong_types_and_huge_numbers_answer_400(admin_client_a, field, value):
    response = send(admin_client_a, "post", "/api/v1/shipments/", {**GOOD, field: value})
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/shipments/99999999999999999999/",
        "/api/v1/shipments/0/",
    ],
)
def test_ids_that_cannot_exist_answer_404(admin_client_a, path):
    response = admin_client_a.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "params", [{"search": "a\x00b"}, {"search": "x" * 101}, {"status": ["draft", "x"]}]
)
def test_bad_list_parameters_answer_400(admin_client_a, params):
    response = admin_client_a.get("/api/v1/shipments/", params)
    assert response.status_code == 400
    assert set(response.json()) <= {"search", "status"}


def test_integrators_work_with_a_token(client_a, tenant_a):
    token = client_a.post(
        "/api/v1/auth/token/",
        {"email": "admin@alpha.example", "password": "correct-horse-battery-staple"},
        content_type="application/json",
    ).json()["token"]
    integrator = host_client("alpha.localhost", HTTP_AUTHORIZATION=f"Token {token}")
    created = send(integrator, "post", "/api/v1/shipments/", GOOD)
    assert created.status_code == 201
    with schema_context(tenant_a.schema_name):
        assert Shipment.objects.get(reference="SHP-1001").created_by == admin_of(tenant_a)


def test_session_writes_without_the_csrf_token_are_refused(tenant_a):
    browser = host_client("alpha.localhost", enforce_csrf_checks=True)
    with schema_context(tenant_a.schema_name):
        browser.force_login(admin_of(tenant_a))
    response = send(browser, "post", "/api/v1/shipments/", GOOD)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    with schema_context(tenant_a.schema_name):
        assert not Shipment.objects.filter(reference="SHP-1001").exists()

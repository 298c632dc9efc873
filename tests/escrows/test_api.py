"""The escrows API: create and validation, actions and their 409s, isolation, lists."""

import itertools
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from escrows.models import ESCROW_ACTIONS, ESCROW_TRANSITIONS, Escrow, EscrowEvent, EscrowStatus
from escrows.services import escrow_transition
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
        ("amount", "Infinity"),
        ("amount", 10**400),
        ("amount", "1e400"),
        ("amount", True),
        ("amount", [1]),
        ("currency", "XYZ"),
        ("currency", "EURO"),
        ("currency", 978),
        ("buyer", "x" * 201),
        ("buyer", 42),
        ("seller", 4.5),
        ("shipment", 10**20),
        ("shipment", [1]),
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


def test_amount_keeps_its_cents_exactly(admin_client_a, tenant_a):
    body = {**good(make_shipment(tenant_a)), "amount": "9999999.99"}
    response = post(admin_client_a, "/api/v1/escrows/", body)
    assert (response.status_code, response.json()["amount"]) == (201, "9999999.99")
    with schema_context(tenant_a.schema_name):
        assert str(Escrow.objects.get(pk=response.json()["id"]).amount) == "9999999.99"


def test_a_cancelled_shipment_cannot_be_secured(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a, status="cancelled")
    response = post(admin_client_a, "/api/v1/escrows/", good(shipment))
    assert response.status_code == 400
    assert response.json() == {
        "shipment": [f"Shipment {shipment.reference} is cancelled; it secures nothing."]
    }
    with schema_context(tenant_a.schema_name):
        assert not Escrow.objects.filter(shipment=shipment).exists()


def escrow_in(tenant, status: str):
    shipment = make_shipment(tenant, status="delivered")
    if status != "released":
        return make_escrow(tenant, shipment=shipment, status=status)
    escrow = make_escrow(tenant, shipment=shipment, status="funded")
    with schema_context(tenant.schema_name):
        return escrow_transition(escrow=escrow, to_status="released", actor=None)


@pytest.mark.parametrize(
    ("current", "action"), list(itertools.product(EscrowStatus.values, ESCROW_ACTIONS))
)
def test_each_action_follows_the_transition_table(member_client_a, tenant_a, current, action):
    escrow = escrow_in(tenant_a, current)
    response = post(member_client_a, f"/api/v1/escrows/{escrow.pk}/{action}/")
    target = ESCROW_ACTIONS[action]
    with schema_context(tenant_a.schema_name):
        stored = Escrow.objects.get(pk=escrow.pk).status
        last = EscrowEvent.objects.filter(escrow=escrow).last()
    if target in ESCROW_TRANSITIONS[current]:
        assert (response.status_code, response.json()["status"], stored) == (200, target, target)
        assert (last.from_status, last.to_status, last.actor.email) == (
            current,
            target,
            "member@alpha.example",
        )
    else:
        assert response.status_code == 409
        assert response.json()["code"] == "illegal_transition"
        assert response.json()["allowed"] == list(ESCROW_TRANSITIONS[current])
        assert response.json()["detail"].startswith(
            f"This escrow is {EscrowStatus(current).label}; "
        )
        assert (stored, last.to_status) == (current, current)


def test_release_before_delivery_says_why_and_what_is_allowed(admin_client_a, tenant_a):
    escrow = make_escrow(tenant_a, shipment=make_shipment(tenant_a, status="in_transit"))
    post(admin_client_a, f"/api/v1/escrows/{escrow.pk}/fund/")
    response = post(admin_client_a, f"/api/v1/escrows/{escrow.pk}/release/")
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Shipment {escrow.shipment.reference} has status “In transit”; an escrow is "
        "released "
        "only once its shipment is delivered.",
        "code": "shipment_not_delivered",
        "current": "funded",
        "requested": "released",
        "allowed": ["refunded", "disputed"],
    }


def test_list_searches_buyer_seller_and_shipment_reference(admin_client_a, tenant_a):
    make_escrow(tenant_a, buyer="Nordic Timber AB")
    by_reference = make_escrow(tenant_a, shipment=make_shipment(tenant_a, reference="FJORD-7"))
    make_escrow(tenant_a)
    assert [
        row["buyer"]
        for row in admin_client_a.get("/api/v1/escrows/", {"search": "timber"}).json()["results"]
    ] == ["Nordic Timber AB"]
    found = admin_client_a.get("/api/v1/escrows/", {"search": "fjord"}).json()["results"]
    assert [row["id"] for row in found] == [by_reference.pk]


@pytest.mark.parametrize(
    ("params", "status_code"),
    [
        ({"shipment": "99999999999999999999"}, 200),
        ({"shipment": "0"}, 400),
        ({"shipment": "-1"}, 400),
        ({"search": "nul\x00"}, 400),
    ],
)
def test_odd_list_parameters_never_fail(admin_client_a, params, status_code):
    response = admin_client_a.get("/api/v1/escrows/", params)
    assert response.status_code == status_code
    if status_code == 200:
        assert response.json()["count"] == 0


def test_ids_that_cannot_exist_answer_404(admin_client_a):
    assert admin_client_a.get("/api/v1/escrows/99999999999999999999/").status_code == 404
    assert post(admin_client_a, "/api/v1/escrows/99999999999999999999/fund/").status_code == 404


def test_escrows_are_not_updated_or_deleted_over_the_api(admin_client_a, tenant_a):
    escrow = make_escrow(tenant_a)
    url = f"/api/v1/escrows/{escrow.pk}/"
    patch = admin_client_a.patch(url, json.dumps({"status": "released"}), "application/json")
    assert patch.status_code == 405
    assert admin_client_a.delete(url).status_code == 405
    with schema_context(tenant_a.schema_name):
        assert Escrow.objects.get(pk=escrow.pk).status == "open"

"""How many statements the hot requests send, so the counts cannot creep back: an API create,
list (1 and 50 a page) and status change of shipments and escrows, and the dashboard, each warm
(its workspace's host kept, as in production) and with the goals of bench/request_path.py.

Inside a test's transaction a service's BEGIN and COMMIT are a SAVEPOINT and its RELEASE, so the
counts are the ones a request sends in production."""

import json

import pytest
from django_tenants.utils import schema_context
from rest_framework.authtoken.models import Token

from tests.conftest import (
    admin_of,
    host_client,
    logged_in,
    make_escrow,
    make_shipment,
    on_plan,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hosts_kept")]

CREATE, LIST, CHANGE, DASHBOARD = 8, 5, 8, 10
SHIPMENT = {"origin": "A", "destination": "B", "carrier": "C", "weight_kg": "1"}


@pytest.fixture
def integrator(tenant_a):
    on_plan(tenant_a, "enterprise")  # room for the 50 rows a page
    with schema_context(tenant_a.schema_name):
        token = Token.objects.create(user=admin_of(tenant_a)).key
    client = host_client("alpha.localhost", HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/shipments/", {"page_size": 1}).status_code == 200  # warm
    return client


def post(client, path: str, body: dict):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_an_api_shipment_create_sends_at_most_8_statements(
    integrator, django_assert_max_num_queries
):
    # The first create of a period makes its counter row and prepares the limit check's statement
    # on this connection; the second is what every later one costs.
    assert post(integrator, "/api/v1/shipments/", {**SHIPMENT, "reference": "HOT-0"}).status_code
    with django_assert_max_num_queries(CREATE):
        answer = post(integrator, "/api/v1/shipments/", {**SHIPMENT, "reference": "HOT-1"})
    assert answer.status_code == 201


def test_a_taken_reference_is_still_a_field_error_without_asking_first(integrator, tenant_a):
    make_shipment(tenant_a, reference="TAKEN-1")
    body = {**SHIPMENT, "reference": "TAKEN-1"}
    answer = post(integrator, "/api/v1/shipments/", body)
    assert answer.status_code == 400
    assert answer.json() == {"reference": ["A shipment with this reference already exists."]}


@pytest.mark.parametrize("resource", ["shipments", "escrows"])
@pytest.mark.parametrize("page_size", [1, 50])
def test_an_api_list_sends_at_most_5_statements_at_any_page_size(
    integrator, tenant_a, resource, page_size, django_assert_max_num_queries
):
    for _ in range(50):
        make_escrow(tenant_a)
    with django_assert_max_num_queries(LIST):
        answer = integrator.get(f"/api/v1/{resource}/", {"page_size": page_size})
    assert len(answer.json()["results"]) == page_size


def test_an_api_shipment_status_change_sends_at_most_8_statements(
    integrator, tenant_a, django_assert_max_num_queries
):
    shipment = make_shipment(tenant_a)
    with django_assert_max_num_queries(CHANGE):
        answer = integrator.patch(
            f"/api/v1/shipments/{shipment.pk}/",
            json.dumps({"status": "booked"}),
            content_type="application/json",
        )
    assert answer.json()["status"] == "booked"


def test_an_api_escrow_create_sends_at_most_8_statements(
    integrator, tenant_a, django_assert_max_num_queries
):
    shipment = make_shipment(tenant_a)
    body = {"shipment": shipment.pk, "buyer": "B", "seller": "S", "amount": "10", "currency": "EUR"}
    assert post(integrator, "/api/v1/escrows/", body).status_code == 201  # as above
    with django_assert_max_num_queries(CREATE):
        assert post(integrator, "/api/v1/escrows/", body).status_code == 201


def test_an_escrow_for_a_shipment_that_is_not_there_is_a_field_error(integrator):
    body = {"shipment": 999999, "buyer": "B", "seller": "S", "amount": "10", "currency": "EUR"}
    answer = post(integrator, "/api/v1/escrows/", body)
    assert answer.status_code == 400
    assert answer.json() == {"shipment": ["There is no shipment 999999 in this workspace."]}


def test_an_api_escrow_status_change_sends_at_most_8_statements(
    integrator, tenant_a, django_assert_max_num_queries
):
    escrow = make_escrow(tenant_a)
    with django_assert_max_num_queries(CHANGE):
        answer = post(integrator, f"/api/v1/escrows/{escrow.pk}/fund/", {})
    assert answer.json()["status"] == "funded"


@pytest.mark.parametrize("path", ["/api/v1/escrows/999999/fund/", "/api/v1/escrows/x/fund/"])
def test_an_action_on_an_escrow_that_is_not_there_is_404(integrator, path):
    answer = post(integrator, path, {})
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")


def test_the_dashboard_sends_at_most_10_statements(
    client_a, tenant_a, django_assert_max_num_queries
):
    make_escrow(tenant_a)
    client = logged_in(client_a, tenant_a, admin_of(tenant_a))
    assert client.get("/").status_code == 200
    with django_assert_max_num_queries(DASHBOARD):
        assert client.get("/").status_code == 200

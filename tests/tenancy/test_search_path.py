"""The session's search_path is set only when it must change (loginexus/tenancy/postgresql_backend):
requests to one workspace on one connection send no SET after the first, a request to another
workspace sets its own, and a SET that a rollback undid is sent again."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shipments.models import Shipment
from tests.conftest import admin_of, logged_in, make_shipment

pytestmark = pytest.mark.usefixtures("hosts_kept")


def search_path_sets(queries) -> int:
    return sum(query["sql"].startswith("SET search_path") for query in queries.captured_queries)


def session_search_path() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_second_request_to_the_same_workspace_sends_no_set(client_a, tenant_a):
    client = logged_in(client_a, tenant_a, admin_of(tenant_a))
    make_shipment(tenant_a, reference="PATH-1")
    assert client.get("/api/v1/shipments/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        answer = client.get("/api/v1/shipments/")
    assert [row["reference"] for row in answer.json()["results"]] == ["PATH-1"]
    assert search_path_sets(queries) == 0


@pytest.mark.django_db
def test_a_request_to_another_workspace_sets_its_own_path_and_sees_only_its_rows(
    client_a, client_b, tenant_a, tenant_b
):
    make_shipment(tenant_a, reference="ONLY-A")
    make_shipment(tenant_b, reference="ONLY-B")
    a = logged_in(client_a, tenant_a, admin_of(tenant_a))
    b = logged_in(client_b, tenant_b, admin_of(tenant_b))
    assert b.get("/api/v1/shipments/").status_code == 200
    assert a.get("/api/v1/shipments/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        answer = b.get("/api/v1/shipments/")
    assert [row["reference"] for row in answer.json()["results"]] == ["ONLY-B"]
    assert search_path_sets(queries) == 1
    assert [row["reference"] for row in a.get("/api/v1/shipments/").json()["results"]] == ["ONLY-A"]


class Undo(Exception):
    pass


def test_a_path_undone_by_a_rollback_is_set_again_so_no_request_reads_another_workspace(
    committed_db, tenant_a, tenant_b
):
    """Outside any test transaction: the rollback is the transaction's own, as in a request."""
    connection.set_tenant(tenant_b)
    assert first_schema(session_search_path()) == tenant_b.schema_name  # committed: autocommit
    with pytest.raises(Undo), transaction.atomic():
        connection.set_tenant(tenant_a)
        Shipment.objects.count()  # the SET is issued inside the transaction...
        raise Undo  # ...and PostgreSQL undoes it with the rollback: the session is on B again
    connection.set_tenant(tenant_a)
    assert first_schema(session_search_path()) == tenant_a.schema_name


def first_schema(search_path: str) -> str:
    return search_path.replace('"', "").split(", ")[0]

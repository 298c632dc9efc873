"""The audit log: every write by a person (or a key) with who, what, when, from where and the
changed fields; a rolled-back write leaves nothing; admins read it on the API and the page; each
workspace sees only its own."""

import json

import pytest
from django_tenants.utils import schema_context

from loginexus.audit.models import AuditEntry
from tests.conftest import host_client, make_shipment, on_plan, tenant_user

pytestmark = pytest.mark.django_db


def post_json(client, path, body, **extra):
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def entries(tenant, **filters) -> list[AuditEntry]:
    with schema_context(tenant.schema_name):
        return list(AuditEntry.objects.filter(**filters))


def test_a_create_and_a_status_change_are_recorded_with_who_where_and_what(
    admin_client_a, tenant_a
):
    created = post_json(
        admin_client_a,
        "/api/v1/shipments/",
        {"reference": "AUD-1", "origin": "Oslo", "destination": "Riga", "carrier": "DSV",
         "weight_kg": "12.500"},
        REMOTE_ADDR="198.51.100.7",
    )  # fmt: skip
    assert created.status_code == 201
    shipment_id = str(created.json()["id"])
    moved = admin_client_a.patch(
        f"/api/v1/shipments/{shipment_id}/",
        json.dumps({"status": "booked"}),
        content_type="application/json",
    )
    assert moved.status_code == 200
    made, changed = sorted(
        entries(tenant_a, object_type="shipment", object_id=shipment_id), key=lambda e: e.id
    )
    assert (made.actor, made.action, made.object_type, made.ip) == (
        "admin@alpha.example", "shipment.created", "shipment", "198.51.100.7",
    )  # fmt: skip
    assert made.changes["reference"] == [None, "AUD-1"]
    assert made.changes["weight_kg"] == [None, "12.500"]
    assert (changed.action, changed.changes) == (
        "shipment.status_changed",
        {"status": ["draft", "booked"]},
    )


def test_a_refused_write_leaves_no_entry(admin_client_a, tenant_a):
    on_plan(tenant_a, "free")
    before = len(entries(tenant_a))
    refused = post_json(
        admin_client_a, "/api/v1/shipments/",
        {"reference": "", "origin": "A", "destination": "B", "carrier": "C", "weight_kg": "0"},
    )  # fmt: skip
    assert refused.status_code == 400
    illegal = post_json(admin_client_a, "/api/v1/shipments/", {})
    assert illegal.status_code == 400
    assert len(entries(tenant_a)) == before


def test_team_and_invitation_changes_are_recorded(admin_client_a, tenant_a):
    member = tenant_user(tenant_a, email="promoted@alpha.example")
    admin_client_a.patch(
        f"/api/v1/users/{member.pk}/", json.dumps({"role": "admin"}),
        content_type="application/json",
    )  # fmt: skip
    post_json(
        admin_client_a, "/api/v1/invitations/", {"email": "new@firm.example", "role": "member"}
    )
    (promoted,) = entries(tenant_a, action="user.updated", object_id=str(member.pk))
    assert promoted.changes == {"role": ["member", "admin"]}
    (invited,) = entries(tenant_a, action="invitation.created")
    assert invited.changes["email"] == [None, "new@firm.example"]
    assert invited.actor == "admin@alpha.example"


def test_admins_read_it_on_the_api_newest_first_and_filtered(admin_client_a, tenant_a):
    make_shipment(tenant_a, reference="AUD-FILTER")  # outside a request: the system's write
    post_json(
        admin_client_a, "/api/v1/shipments/",
        {"reference": "AUD-API", "origin": "A", "destination": "B", "carrier": "C",
         "weight_kg": "1"},
    )  # fmt: skip
    listed = admin_client_a.get("/api/v1/audit-log/?action=shipment.created").json()
    assert set(listed["results"][0]) == {
        "id", "at", "actor", "action", "object_type", "object_id", "ip", "changes",
    }  # fmt: skip
    actors = [(item["actor"], item["changes"]["reference"][1]) for item in listed["results"]]
    assert actors[:2] == [("admin@alpha.example", "AUD-API"), ("system", "AUD-FILTER")]
    mine = admin_client_a.get("/api/v1/audit-log/?actor=ADMIN@alpha.example").json()
    assert {item["actor"] for item in mine["results"]} == {"admin@alpha.example"}
    assert admin_client_a.get("/api/v1/audit-log/?since=yesterday").status_code == 400


def test_members_and_strangers_are_refused(member_client_a, tenant_a):
    assert member_client_a.get("/api/v1/audit-log/").status_code == 403
    assert member_client_a.get("/settings/audit-log/").status_code == 403
    assert host_client("alpha.localhost").get("/api/v1/audit-log/").status_code == 401


def test_the_page_lists_the_changes(admin_client_a, tenant_a):
    make_shipment(tenant_a, reference="AUD-PAGE")
    page = admin_client_a.get("/settings/audit-log/?action=shipment.created")
    assert page.status_code == 200
    assert "AUD-PAGE" in page.content.decode()


def test_each_workspace_sees_only_its_own(admin_client_a, tenant_a, tenant_b):
    make_shipment(tenant_b, reference="BRAVO-AUDIT")
    listed = admin_client_a.get("/api/v1/audit-log/?action=shipment.created").json()
    assert "BRAVO-AUDIT" not in json.dumps(listed)


def test_staff_read_a_workspaces_log_on_its_admin_page(superuser_client, tenant_a):
    make_shipment(tenant_a, reference="AUD-STAFF")
    page = superuser_client.get(f"/admin/tenancy/tenant/{tenant_a.pk}/change/")
    assert page.status_code == 200
    assert "Audit log" in page.content.decode()
    assert "shipment.created" in page.content.decode()

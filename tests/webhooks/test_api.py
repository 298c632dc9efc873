"""The webhook endpoints API (admins): the secret only when made or rotated, changes, deletion,
the delivery log and redelivery; another workspace's endpoints do not exist."""

import pytest
from django_tenants.utils import schema_context

from tests.conftest import make_shipment
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhook-endpoints/"


def create(client, receiver, **fields):
    body = {"url": receiver.url, "events": ["shipment.created"], **fields}
    return client.post(URL, body, content_type="application/json")


def test_create_answers_the_secret_once_and_lists_never_show_it(admin_client_a, receiver):
    answer = create(admin_client_a, receiver, description="ERP")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["secret"].startswith("whsec_")
    assert body["url"] == receiver.url and body["events"] == ["shipment.created"]
    assert body["enabled"] is True and body["description"] == "ERP"
    listed = admin_client_a.get(URL).json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]
    one = admin_client_a.get(f"{URL}{body['id']}/").json()
    assert "secret" not in one and body["secret"] not in str(one)


def test_bad_input_answers_field_errors(admin_client_a, receiver):
    for fields, field in [
        ({"events": []}, "events"),
        ({"events": ["shipment.deleted"]}, "events"),
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://127.0.0.1/"}, "url"),
    ]:
        answer = create(admin_client_a, receiver, **fields)
        assert answer.status_code == 400, (fields, answer.content)
        assert field in answer.json()


def test_patch_changes_filters_and_pauses_then_resumes(admin_client_a, receiver, tenant_a):
    endpoint = create(admin_client_a, receiver).json()
    path = f"{URL}{endpoint['id']}/"
    answer = admin_client_a.patch(
        path, {"events": ["escrow.created"], "enabled": False}, content_type="application/json"
    )
    assert answer.status_code == 200
    assert answer.json()["events"] == ["escrow.created"] and answer.json()["enabled"] is False
    assert answer.json()["disabled_at"] is not None
    make_shipment(tenant_a)
    answer = admin_client_a.patch(path, {"enabled": True}, content_type="application/json")
    assert answer.json()["enabled"] is True and answer.json()["disabled_at"] is None
    with schema_context(tenant_a.schema_name):
        assert not WebhookDelivery.objects.exists()


def test_rotate_answers_a_new_secret_and_the_old_expiry(admin_client_a, receiver):
    endpoint = create(admin_client_a, receiver).json()
    answer = admin_client_a.post(f"{URL}{endpoint['id']}/rotate-secret/")
    assert answer.status_code == 200
    assert answer.json()["secret"].startswith("whsec_")
    assert answer.json()["secret"] != endpoint["secret"]
    assert answer.json()["previous_secret_expires_at"] is not None


def test_delete_removes_the_endpoint(admin_client_a, receiver, tenant_a):
    endpoint = create(admin_client_a, receiver).json()
    assert admin_client_a.delete(f"{URL}{endpoint['id']}/").status_code == 204
    with schema_context(tenant_a.schema_name):
        assert not WebhookEndpoint.objects.exists()


def test_the_delivery_log_and_redelivery(
    admin_client_a, receiver, tenant_a, django_capture_on_commit_callbacks
):
    endpoint = create(admin_client_a, receiver).json()
    make_shipment(tenant_a)
    log = admin_client_a.get(f"/api/v1/webhook-deliveries/?endpoint={endpoint['id']}").json()
    assert log["count"] == 1
    delivery = log["results"][0]
    assert delivery["event_type"] == "shipment.created" and delivery["status"] == "pending"
    assert delivery["event_id"].startswith("msg_") and delivery["attempt_log"] == []
    with django_capture_on_commit_callbacks() as queued:
        answer = admin_client_a.post(f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver/")
    assert answer.status_code == 202 and len(queued) == 1
    admin_client_a.patch(
        f"{URL}{endpoint['id']}/", {"enabled": False}, content_type="application/json"
    )
    answer = admin_client_a.post(f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver/")
    assert answer.status_code == 409
    assert answer.json()["code"] == "webhook_endpoint_disabled"


def test_members_are_refused(member_client_a, receiver):
    assert create(member_client_a, receiver).status_code == 403
    assert member_client_a.get(URL).status_code == 403
    assert member_client_a.get("/api/v1/webhook-deliveries/").status_code == 403


def test_an_endpoint_of_workspace_a_does_not_exist_on_b(
    admin_client_a, client_b, tenant_b, receiver, tenant_a
):
    from tests.conftest import admin_of, logged_in

    endpoint = create(admin_client_a, receiver).json()
    make_shipment(tenant_a)
    with schema_context(tenant_a.schema_name):
        delivery = WebhookDelivery.objects.get()
    admin_b = logged_in(client_b, tenant_b, admin_of(tenant_b))
    assert admin_b.get(URL).json()["count"] == 0
    assert admin_b.get(f"{URL}{endpoint['id']}/").status_code == 404
    assert admin_b.post(f"{URL}{endpoint['id']}/rotate-secret/").status_code == 404
    assert admin_b.delete(f"{URL}{endpoint['id']}/").status_code == 404
    assert admin_b.get("/api/v1/webhook-deliveries/").json()["count"] == 0
    assert admin_b.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/").status_code == 404
    make_shipment(tenant_b)  # B's changes go nowhere near A's endpoint
    with schema_context(tenant_a.schema_name):
        assert WebhookDelivery.objects.count() == 1

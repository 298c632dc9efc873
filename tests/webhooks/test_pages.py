"""The webhook pages (admins): endpoints, adding one (its secret shown once), event filters,
disabling, rotating, deleting, and the delivery log with redelivery."""

import pytest
from django_tenants.utils import schema_context

from tests.conftest import make_shipment
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

PAGE = "/settings/webhooks/"


def test_adding_an_endpoint_shows_its_secret_once(admin_client_a, receiver, tenant_a):
    assert "No endpoint yet." in admin_client_a.get(PAGE).content.decode()
    answer = admin_client_a.post(
        PAGE, {"url": receiver.url, "events": ["shipment.created", "escrow.created"]}
    )
    assert answer.status_code == 201
    with schema_context(tenant_a.schema_name):
        endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["escrow.created", "shipment.created"]
    assert endpoint.secret in answer.content.decode()
    assert endpoint.secret not in admin_client_a.get(PAGE).content.decode()
    detail = admin_client_a.get(f"{PAGE}{endpoint.pk}/").content.decode()
    assert receiver.url in detail and endpoint.secret not in detail


def test_a_refused_url_is_a_field_error(admin_client_a, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    answer = admin_client_a.post(PAGE, {"url": "https://127.0.0.1/", "events": ["escrow.created"]})
    assert answer.status_code == 400
    assert "not public" in answer.content.decode()


def test_filters_disable_rotate_and_delete(admin_client_a, receiver, tenant_a):
    admin_client_a.post(PAGE, {"url": receiver.url, "events": ["shipment.created"]})
    with schema_context(tenant_a.schema_name):
        endpoint = WebhookEndpoint.objects.get()
    answer = admin_client_a.post(
        f"{PAGE}{endpoint.pk}/", {"url": receiver.url, "events": ["escrow.status_changed"]}
    )
    assert answer.status_code == 302
    with schema_context(tenant_a.schema_name):
        endpoint.refresh_from_db()
    assert endpoint.events == ["escrow.status_changed"] and not endpoint.enabled
    old = endpoint.secret
    rotated = admin_client_a.post(f"{PAGE}{endpoint.pk}/rotate/").content.decode()
    with schema_context(tenant_a.schema_name):
        endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in rotated and old not in rotated
    assert admin_client_a.post(f"{PAGE}{endpoint.pk}/delete/").status_code == 302
    with schema_context(tenant_a.schema_name):
        assert not WebhookEndpoint.objects.exists()


def test_the_log_lists_deliveries_with_a_redeliver_button(
    admin_client_a, receiver, tenant_a, django_capture_on_commit_callbacks
):
    admin_client_a.post(PAGE, {"url": receiver.url, "events": ["shipment.created"]})
    make_shipment(tenant_a)
    with schema_context(tenant_a.schema_name):
        delivery = WebhookDelivery.objects.select_related("event").get()
    page = admin_client_a.get(f"{PAGE}{delivery.endpoint_id}/").content.decode()
    assert delivery.event.pk in page and f"deliveries/{delivery.pk}/redeliver/" in page
    with django_capture_on_commit_callbacks() as queued:
        answer = admin_client_a.post(f"{PAGE}deliveries/{delivery.pk}/redeliver/")
    assert answer.status_code == 302 and len(queued) == 1


def test_members_cannot_open_the_pages(member_client_a):
    assert member_client_a.get(PAGE).status_code == 403

"""Deleting a webhook endpoint: a confirmation that says what will happen, then the POST."""

import pytest
from django_tenants.utils import schema_context

from webhooks.models import WebhookEndpoint
from webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db

PAGE = "/settings/webhooks/"


def test_deleting_an_endpoint_asks_first_and_says_what_will_happen(
    admin_client_a, receiver, tenant_a
):
    with schema_context(tenant_a.schema_name):
        endpoint = webhook_endpoint_create(url=receiver.url, events=["shipment.created"])
    detail = admin_client_a.get(f"{PAGE}{endpoint.pk}/").content.decode()
    assert f'href="{PAGE}{endpoint.pk}/delete/"' in detail

    asked = admin_client_a.get(f"{PAGE}{endpoint.pk}/delete/")
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Delete this webhook endpoint?" in page
    assert "Nothing more is sent to this URL" in page
    assert "this cannot be undone" in page and "disable the endpoint instead" in page
    with schema_context(tenant_a.schema_name):
        assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()

    done = admin_client_a.post(f"{PAGE}{endpoint.pk}/delete/", follow=True)
    assert "was deleted." in done.content.decode()
    with schema_context(tenant_a.schema_name):
        assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()

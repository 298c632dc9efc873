"""Revoking an API key on its page: a confirmation that says what will happen, then the POST."""

import pytest
from django_tenants.utils import schema_context

from loginexus.apikeys.models import ApiKey
from tests.integrators.conftest import key_client, new_key

pytestmark = pytest.mark.django_db


def test_revoking_a_key_asks_first_and_says_what_will_happen(admin_client_a, tenant_a):
    api_key, key = new_key(tenant_a, name="Warehouse")
    listed = admin_client_a.get("/settings/api-keys/").content.decode()
    assert f'href="/settings/api-keys/{api_key.pk}/revoke/"' in listed

    asked = admin_client_a.get(f"/settings/api-keys/{api_key.pk}/revoke/")
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Revoke the key “Warehouse”?" in page
    assert "Every request made with this key is refused from now on" in page
    assert "It cannot be turned back on" in page
    with schema_context(tenant_a.schema_name):
        assert ApiKey.objects.get(pk=api_key.pk).revoked_at is None
    assert key_client(tenant_a, key).get("/api/v1/escrows/").status_code == 200

    done = admin_client_a.post(f"/settings/api-keys/{api_key.pk}/revoke/", follow=True)
    assert "is revoked: it no longer works." in done.content.decode()
    assert key_client(tenant_a, key).get("/api/v1/escrows/").status_code == 401


def test_the_key_list_shows_dates_with_the_formatter(admin_client_a, tenant_a):
    new_key(tenant_a, name="Warehouse")
    body = admin_client_a.get("/settings/api-keys/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    with schema_context(tenant_a.schema_name):
        created = ApiKey.objects.get().created_at
    assert created.strftime("%d.%m.%Y") in body  # Babel's German date, with no catalogue

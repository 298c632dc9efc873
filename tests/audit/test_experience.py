"""The audit log's times: in the workspace's time zone, with the zone named."""

from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import schema_context

from loginexus.audit.services import audit_record
from loginexus.tenancy.models import Tenant

pytestmark = pytest.mark.django_db


def test_audit_times_are_in_the_workspaces_time_zone_with_its_name(admin_client_a, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(time_zone="Europe/Berlin")
    with schema_context(tenant_a.schema_name):
        entry = audit_record(action="shipment.created", object_type="shipment", object_id=7)
    local = entry.at.astimezone(ZoneInfo("Europe/Berlin"))
    body = admin_client_a.get("/settings/audit-log/").content.decode()
    assert f"{local:%-I}:{local:%M} {local:%p} {local.tzname()}" in body  # "2:05 PM CET"


def test_audit_times_in_german_are_written_the_german_way(admin_client_a, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(time_zone="Europe/Berlin")
    with schema_context(tenant_a.schema_name):
        entry = audit_record(action="shipment.created", object_type="shipment", object_id=7)
    local = entry.at.astimezone(ZoneInfo("Europe/Berlin"))
    body = admin_client_a.get("/settings/audit-log/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert f"{local:%d.%m.%Y}, {local:%H:%M}" in body


def test_recorded_changes_read_as_words_not_python(admin_client_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        audit_record(
            action="api_key.created",
            object_type="api_key",
            object_id=3,
            changes={"scopes": [None, ["shipments:read", "audit:read"]], "enabled": [True, False]},
        )
    body = admin_client_a.get("/settings/audit-log/").content.decode()
    assert "<strong>scopes</strong>: — → shipments:read, audit:read" in body
    assert "<strong>enabled</strong>: yes → no" in body
    assert "[&#x27;" not in body


def test_actions_and_objects_are_named_in_words_beside_their_codes(admin_client_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        audit_record(action="webhook_endpoint.secret_rotated", object_type="webhook_endpoint")
    body = admin_client_a.get("/settings/audit-log/").content.decode()
    assert (
        'Webhook secret rotated<br><code class="muted">webhook_endpoint.secret_rotated</code>'
        in body
    )
    assert "<td>Webhook endpoint " in body

"""Where webhooks may go: in production only https URLs whose host resolves to public
addresses, checked when an endpoint is made and again before each delivery; loopback is fine
in development and tests."""

import pytest
from django_tenants.utils import schema_context

from tests.conftest import make_shipment
from webhooks.destinations import address_is_public
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.services import webhook_delivery_attempt, webhook_endpoint_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhook-endpoints/"


@pytest.fixture
def production_rules(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    settings.WEBHOOKS_REQUIRE_HTTPS = True


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://10.1.2.3/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost/hooks",  # a name resolving to loopback
        "https://[::1]/hooks",
        "https://192.168.0.10/hooks",
        "https://224.0.0.1/hooks",
        "https://0.0.0.0/hooks",
    ],
)
def test_production_refuses_private_loopback_and_link_local_destinations(
    production_rules, admin_client_a, url
):
    answer = admin_client_a.post(
        URL, {"url": url, "events": ["shipment.created"]}, content_type="application/json"
    )
    assert answer.status_code == 400, answer.content
    assert "not public" in answer.json()["url"][0]


def test_production_refuses_plain_http(production_rules, admin_client_a):
    answer = admin_client_a.post(
        URL,
        {"url": "http://93.184.215.14/hooks", "events": ["shipment.created"]},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert answer.json()["url"] == ["Webhook URLs must use https."]


def test_development_allows_loopback(admin_client_a, receiver):
    answer = admin_client_a.post(
        URL, {"url": receiver.url, "events": ["shipment.created"]}, content_type="application/json"
    )
    assert answer.status_code == 201


def test_each_delivery_checks_again_and_never_connects_to_a_refused_address(
    tenant_a, receiver, settings
):
    with schema_context(tenant_a.schema_name):
        webhook_endpoint_create(url=receiver.url, events=["shipment.created"])
    make_shipment(tenant_a)
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False  # e.g. the name now resolves elsewhere
    with schema_context(tenant_a.schema_name):
        answer = webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
        attempt = WebhookAttempt.objects.get()
    assert answer.status_code is None
    assert attempt.status_code is None and "not public" in attempt.error
    assert receiver.received == []


def test_public_addresses_are_told_from_the_rest():
    assert address_is_public("93.184.215.14")
    assert address_is_public("2606:4700:4700::1111")
    for address in [
        "127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "fe80::1", "fc00::1",  # noqa: S104
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "240.0.0.1",
    ]:  # fmt: skip
        assert not address_is_public(address), address

"""Stripe's webhook endpoint against what anyone can POST to it: refused bodies stored shortened,
refusals throttled per client address (signed deliveries never), the address read the way the
product reads it, NUL characters answered 400, and the staff screen of a shortened body."""

import json
import time

import pytest
import stripe
from djstripe.models import WebhookEventTrigger

from billing.simulator import sign_payload
from billing.stripe.catalog import webhook_endpoint_ensure
from billing.stripe.webhooks import UNKNOWN_ADDRESS

pytestmark = pytest.mark.django_db

KB = 1024


@pytest.fixture
def endpoint(db, sim, stripe_module):
    """Our endpoint, known to the simulator, which keeps its own deliveries to itself."""
    endpoint = webhook_endpoint_ensure(base_url="http://localhost")
    stripe.WebhookEndpoint.modify(endpoint.id, disabled=True)
    return endpoint


def url_of(endpoint) -> str:
    return f"/stripe/webhook/{endpoint.djstripe_uuid}/"


def event(number: int = 1) -> dict:
    return {
        "id": f"evt_endpoint_{number}",
        "object": "event",
        "livemode": False,
        "type": "customer.created",
        "data": {"object": {"id": "cus_x", "object": "customer"}},
    }


def signed(client, endpoint, body: str, **extra):
    signature = sign_payload(body, endpoint.secret, int(time.time()))
    return client.post(
        url_of(endpoint),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
        **extra,
    )


def unsigned(client, endpoint, body: str, **extra):
    return client.post(url_of(endpoint), body, content_type="application/json", **extra)


@pytest.mark.parametrize("size", [200 * KB, 2000 * KB])
def test_a_refused_large_body_is_stored_shortened_saying_how_large_it_was(
    public_client, endpoint, size
):
    body = json.dumps({"padding": "x" * (size - 15)})
    assert len(body) == size

    answer = unsigned(public_client, endpoint, body)

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_webhook"
    trigger = WebhookEventTrigger.objects.get()
    assert not trigger.valid
    assert len(trigger.body) < 3 * KB
    assert trigger.body.startswith(body[:1000])
    assert trigger.body.endswith(
        f"[truncated: {size} bytes received, the first 2000 characters kept]"
    )


def test_a_signed_event_is_stored_whole(public_client, endpoint):
    body = json.dumps({**event(), "padding": "x" * (200 * KB)})

    answer = signed(public_client, endpoint, body)

    assert answer.status_code == 200
    trigger = WebhookEventTrigger.objects.get()
    assert trigger.valid and trigger.body == body


def test_refusals_past_the_limit_answer_429_and_store_nothing_while_signed_events_still_pass(
    public_client, endpoint, settings
):
    settings.STRIPE_WEBHOOK_REFUSALS_PER_IP = "3/h"
    attacker = {"REMOTE_ADDR": "198.51.100.66"}
    for number in range(5):  # signed deliveries never count against the limit
        assert (
            signed(public_client, endpoint, json.dumps(event(number)), **attacker).status_code
            == 200
        )
    answers = [unsigned(public_client, endpoint, "{}", **attacker).status_code for _ in range(3)]
    assert answers == [400, 400, 400]

    throttled = unsigned(public_client, endpoint, "{}", **attacker)

    assert throttled.status_code == 429
    assert throttled.json()["code"] == "rate_limited"
    assert int(throttled["Retry-After"]) >= 1
    assert WebhookEventTrigger.objects.filter(valid=False).count() == 3
    # Stripe's deliveries from the same address are still taken, and other addresses refused
    # as before.
    assert signed(public_client, endpoint, json.dumps(event(9)), **attacker).status_code == 200
    other = unsigned(public_client, endpoint, "{}", REMOTE_ADDR="203.0.113.5")
    assert other.status_code == 400
    assert WebhookEventTrigger.objects.filter(valid=True).count() == 6
    assert WebhookEventTrigger.objects.filter(valid=False).count() == 4


def test_the_stored_address_is_the_client_address_not_x_forwarded_for(
    public_client, endpoint, settings
):
    unsigned(
        public_client, endpoint, "{}", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="6.6.6.6"
    )
    assert WebhookEventTrigger.objects.get().remote_ip == "198.51.100.4"


def test_behind_a_proxy_the_address_and_the_limit_follow_the_configured_header(
    public_client, endpoint, settings
):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    settings.STRIPE_WEBHOOK_REFUSALS_PER_IP = "1/h"
    proxy = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6"}

    first = unsigned(public_client, endpoint, "{}", HTTP_X_REAL_IP="203.0.113.9", **proxy)
    second = unsigned(public_client, endpoint, "{}", HTTP_X_REAL_IP="203.0.113.9", **proxy)
    another_client = unsigned(public_client, endpoint, "{}", HTTP_X_REAL_IP="203.0.113.10", **proxy)

    assert [first.status_code, second.status_code, another_client.status_code] == [400, 429, 400]
    addresses = WebhookEventTrigger.objects.order_by("pk").values_list("remote_ip", flat=True)
    assert list(addresses) == ["203.0.113.9", "203.0.113.10"]


def test_a_client_address_that_is_no_address_is_recorded_as_unknown(
    public_client, endpoint, settings
):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    assert unsigned(public_client, endpoint, "{}", HTTP_X_REAL_IP="not-an-ip").status_code == 400
    assert unsigned(public_client, endpoint, "{}").status_code == 400  # the header missing
    assert set(WebhookEventTrigger.objects.values_list("remote_ip", flat=True)) == {UNKNOWN_ADDRESS}


@pytest.mark.parametrize("signature", ["none", "valid"])
def test_a_body_with_a_nul_character_answers_400_and_is_stored_with_it_replaced(
    public_client, endpoint, signature
):
    body = '{"id": "evt_nul", "livemode": false, "type": "customer.created", "x": "a\x00b"}'
    send = signed if signature == "valid" else unsigned

    answer = send(public_client, endpoint, body)

    assert answer.status_code == 400
    trigger = WebhookEventTrigger.objects.get()
    assert not trigger.valid
    assert "\x00" not in trigger.body
    assert trigger.body == body.replace("\x00", "\ufffd")


def test_staff_see_a_shortened_body_with_its_original_size_on_a_small_page(
    superuser_client, endpoint
):
    body = json.dumps({"padding": "x" * (2000 * KB)})
    unsigned(superuser_client, endpoint, body)
    trigger = WebhookEventTrigger.objects.get()

    page = superuser_client.get(f"/admin/billing/stripewebhook/{trigger.pk}/change/")

    assert page.status_code == 200
    assert len(page.content) < 100 * KB
    text = page.content.decode()
    assert (
        f"Refused and shortened: {len(body):,} bytes were received; the first 2,000 characters"
        " are kept." in text
    )
    assert "[truncated:" not in text


def test_a_short_body_that_ends_like_the_marker_is_shown_whole(superuser_client, endpoint):
    body = "{}\n[truncated: 99999999 bytes received, the first 2000 characters kept]"
    unsigned(superuser_client, endpoint, body)
    trigger = WebhookEventTrigger.objects.get()
    assert trigger.body == body

    text = superuser_client.get(f"/admin/billing/stripewebhook/{trigger.pk}/change/").content
    assert b"Refused and shortened" not in text
    assert b"99999999 bytes received" in text


def test_a_body_nested_too_deeply_to_parse_is_refused_and_staff_can_still_read_it(
    superuser_client, endpoint
):
    body = "[" * 50_000 + "]" * 50_000

    answer = unsigned(superuser_client, endpoint, body)

    assert answer.status_code == 400
    trigger = WebhookEventTrigger.objects.get()
    assert not trigger.valid
    for page in (
        "/admin/billing/stripewebhook/",
        f"/admin/billing/stripewebhook/{trigger.pk}/change/",
    ):
        assert superuser_client.get(page).status_code == 200

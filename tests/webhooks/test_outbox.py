"""The outbox and its deliveries, sent synchronously to the tests' own receiver: signatures as
Standard Webhooks verifies them, events written with the change (and not without it), event
filters, secret rotation, the retry schedule, and an endpoint disabled after 5 days failing."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from loginexus.mail.models import OutgoingEmail
from shipments.models import Shipment
from shipments.services import shipment_transition
from tests.conftest import make_escrow, make_shipment
from tests.webhooks.receiver import signature_valid
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services import (
    webhook_deliveries_due_requeue,
    webhook_delivery_attempt,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
)

pytestmark = pytest.mark.django_db

ALL_EVENTS = [
    "shipment.created",
    "shipment.status_changed",
    "escrow.created",
    "escrow.status_changed",
]


def endpoint_for(tenant, receiver, events=ALL_EVENTS) -> WebhookEndpoint:
    with schema_context(tenant.schema_name):
        return webhook_endpoint_create(url=receiver.url, events=events)


def deliver_all(tenant) -> None:
    """What the worker would do: attempt every due delivery of the tenant."""
    with schema_context(tenant.schema_name):
        for delivery in WebhookDelivery.objects.filter(next_attempt_at__lte=timezone.now()):
            webhook_delivery_attempt(delivery_id=delivery.pk)


def test_a_status_change_reaches_the_receiver_signed_as_standard_webhooks_say(tenant_a, receiver):
    endpoint = endpoint_for(tenant_a, receiver)
    shipment = make_shipment(tenant_a, status="booked", reference="HOOK-SIGNED-1")
    deliver_all(tenant_a)

    received = receiver.wait_for(2)
    assert all(signature_valid(endpoint.secret, item) for item in received)
    created, changed = sorted(received, key=lambda item: item.payload["type"])
    assert created.payload["type"] == "shipment.created"
    assert changed.payload["type"] == "shipment.status_changed"
    assert set(changed.payload) == {"id", "type", "created", "data"}
    assert changed.payload["id"] == changed.headers["webhook-id"]
    assert changed.payload["data"]["id"] == shipment.pk
    assert changed.payload["data"]["reference"] == "HOOK-SIGNED-1"
    assert changed.payload["data"]["status"] == "booked"
    assert changed.payload["data"]["weight_kg"] == "12.500"
    with schema_context(tenant_a.schema_name):
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}


def test_a_forged_or_altered_delivery_fails_the_receivers_verification(tenant_a, receiver):
    endpoint = endpoint_for(tenant_a, receiver)
    make_shipment(tenant_a)
    deliver_all(tenant_a)
    (received,) = receiver.wait_for(1)
    assert signature_valid(endpoint.secret, received)
    received.body = received.body.replace(b"Rotterdam", b"Rotterdan")
    assert not signature_valid(endpoint.secret, received)


def test_escrow_events_carry_the_escrow_as_the_api_shows_it(tenant_a, receiver):
    endpoint_for(tenant_a, receiver, events=["escrow.created", "escrow.status_changed"])
    escrow = make_escrow(tenant_a, status="funded", amount="1234.50")
    deliver_all(tenant_a)
    received = receiver.wait_for(2)
    types = sorted(item.payload["type"] for item in received)
    assert types == ["escrow.created", "escrow.status_changed"]
    changed = next(i for i in received if i.payload["type"] == "escrow.status_changed")
    assert changed.payload["data"] == {
        **changed.payload["data"],
        "id": escrow.pk,
        "amount": "1234.50",
        "currency": "EUR",
        "status": "funded",
    }


def test_a_rolled_back_change_writes_no_event_and_sends_nothing(tenant_a, receiver):
    endpoint_for(tenant_a, receiver)
    shipment = make_shipment(tenant_a)
    with schema_context(tenant_a.schema_name):
        before = WebhookEvent.objects.count()
        with pytest.raises(RuntimeError), transaction.atomic():
            shipment_transition(shipment=shipment, to_status="booked", actor=None)
            assert WebhookEvent.objects.count() == before + 1
            raise RuntimeError("the change fails after the event was written")
        assert WebhookEvent.objects.count() == before
        assert Shipment.objects.get(pk=shipment.pk).status == "draft"
    deliver_all(tenant_a)
    assert [item.payload["type"] for item in receiver.wait_for(1)] == ["shipment.created"]


def test_an_endpoint_gets_only_the_events_it_subscribed_to(tenant_a, receiver):
    statuses_only = endpoint_for(tenant_a, receiver, events=["shipment.status_changed"])
    make_shipment(tenant_a, status="in_transit")
    make_escrow(tenant_a)
    with schema_context(tenant_a.schema_name):
        types = list(
            WebhookDelivery.objects.filter(endpoint=statuses_only).values_list(
                "event__type", flat=True
            )
        )
    assert types == ["shipment.status_changed"] * 2


def test_no_endpoint_no_event(tenant_a):
    make_shipment(tenant_a, status="booked")
    with schema_context(tenant_a.schema_name):
        assert not WebhookEvent.objects.exists()


def test_after_a_rotation_both_secrets_sign_for_24_hours_then_only_the_new(tenant_a, receiver):
    endpoint = endpoint_for(tenant_a, receiver)
    old_secret = endpoint.secret
    with schema_context(tenant_a.schema_name):
        endpoint = webhook_endpoint_rotate_secret(endpoint=endpoint)
    assert endpoint.secret != old_secret and endpoint.secret.startswith("whsec_")
    make_shipment(tenant_a)
    deliver_all(tenant_a)
    (during,) = receiver.wait_for(1)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert signature_valid(old_secret, during) and signature_valid(endpoint.secret, during)

    with schema_context(tenant_a.schema_name):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
        )
    make_shipment(tenant_a)
    deliver_all(tenant_a)
    after = receiver.wait_for(2)[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert signature_valid(endpoint.secret, after) and not signature_valid(old_secret, after)


def test_a_failed_attempt_is_logged_and_retried_on_the_schedule_then_given_up(
    tenant_a, receiver, settings, django_capture_on_commit_callbacks
):
    receiver.answers = [500] * 20
    endpoint_for(tenant_a, receiver, events=["shipment.created"])
    make_shipment(tenant_a)
    schedule = settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS
    assert schedule == [5, 300, 1800, 7200, 18000, 36000, 36000]
    with schema_context(tenant_a.schema_name):
        delivery = WebhookDelivery.objects.get()
        for number, wait in enumerate([*schedule, None], start=1):
            started = timezone.now()
            answer = webhook_delivery_attempt(delivery_id=delivery.pk)
            assert answer.status_code == 500
            delivery.refresh_from_db()
            assert delivery.attempts == number
            if wait is None:
                assert delivery.status == DeliveryStatus.FAILED
                assert delivery.next_attempt_at is None
                break
            assert delivery.status == DeliveryStatus.PENDING
            due_in = (delivery.next_attempt_at - started).total_seconds()
            assert wait - 1 <= due_in <= wait + 1
            assert webhook_delivery_attempt(delivery_id=delivery.pk) is None  # not due yet
            WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        attempts = list(delivery.attempt_log.order_by("attempted_at"))
    assert len(attempts) == 8
    assert {(a.status_code, a.succeeded, a.response_body) for a in attempts} == {
        (500, False, "receiver says no")
    }
    assert len(receiver.received) == 8
    assert len({item.headers["webhook-id"] for item in receiver.received}) == 1


def test_an_endpoint_failing_for_5_days_is_disabled_and_the_admins_are_emailed(tenant_a, receiver):
    receiver.answers = [500, 500]
    endpoint = endpoint_for(tenant_a, receiver)
    make_shipment(tenant_a)
    deliver_all(tenant_a)
    with schema_context(tenant_a.schema_name):
        endpoint.refresh_from_db()
        assert endpoint.enabled and endpoint.failing_since is not None
        # Four days and a bit of failures: still enabled.
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - timedelta(days=4, hours=23)
        )
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    deliver_all(tenant_a)
    with schema_context(tenant_a.schema_name):
        endpoint.refresh_from_db()
        assert endpoint.enabled
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - timedelta(days=5, minutes=1)
        )
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    receiver.answers = [503]
    deliver_all(tenant_a)
    with schema_context(tenant_a.schema_name):
        endpoint.refresh_from_db()
        assert not endpoint.enabled
        assert endpoint.disabled_reason == "Every delivery failed for 5 days."
        make_shipment(tenant_a)  # a disabled endpoint gets no new deliveries
        assert WebhookDelivery.objects.count() == 1
    email = OutgoingEmail.objects.get(template="webhook_endpoint_disabled", tenant=tenant_a)
    assert email.to == ["admin@alpha.example"]
    assert endpoint.url in email.text and "Alpha Freight" in email.subject


def test_a_success_forgets_earlier_failures(tenant_a, receiver):
    receiver.answers = [500]
    endpoint = endpoint_for(tenant_a, receiver)
    make_shipment(tenant_a)
    deliver_all(tenant_a)
    with schema_context(tenant_a.schema_name):
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    deliver_all(tenant_a)
    with schema_context(tenant_a.schema_name):
        endpoint.refresh_from_db()
        assert endpoint.failing_since is None
        assert WebhookDelivery.objects.get().status == "succeeded"


def test_the_sweeper_queues_overdue_deliveries_once(
    tenant_a, tenant_b, receiver, django_capture_on_commit_callbacks
):
    endpoint_for(tenant_a, receiver)
    make_shipment(tenant_a)
    overdue_by = timedelta(seconds=30)
    with schema_context(tenant_a.schema_name):
        WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
        delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks() as queued:
        assert webhook_deliveries_due_requeue(overdue_by=overdue_by) == 1
        assert webhook_deliveries_due_requeue(overdue_by=overdue_by) == 0
    assert [(call.args) for call in queued] == [(tenant_a.schema_name, [delivery.pk])]
    with schema_context(tenant_a.schema_name):
        delivery.refresh_from_db()
        assert delivery.next_attempt_at <= timezone.now()
        assert webhook_delivery_attempt(delivery_id=delivery.pk).status_code == 200
    body = json.loads(receiver.wait_for(1)[0].body)
    assert body["type"] == "shipment.created"


def test_a_backlog_of_one_endpoint_goes_in_one_batch_that_stops_at_a_failure(
    tenant_a, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [200, 200, 500]
    endpoint_for(tenant_a, receiver, events=["shipment.created"])
    for _ in range(5):
        make_shipment(tenant_a)
    with schema_context(tenant_a.schema_name):
        first = WebhookDelivery.objects.order_by("pk").first()
        with django_capture_on_commit_callbacks() as queued:
            assert webhook_delivery_attempt(delivery_id=first.pk).status_code == 200
        rows = list(
            WebhookDelivery.objects.order_by("pk").values_list("status", "attempts", flat=False)
        )
        due_now = WebhookDelivery.objects.filter(next_attempt_at__lte=timezone.now()).count()
    assert rows == [
        ("succeeded", 1),
        ("succeeded", 1),
        ("pending", 1),  # retried after 5 s, on its own
        ("pending", 0),  # not sent after the failure: queued again on their own
        ("pending", 0),
    ]
    assert due_now == 2 and len(queued) == 2
    assert len(receiver.received) == 3

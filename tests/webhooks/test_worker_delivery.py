"""Delivery by the real Celery worker after the commit: the tests' own receiver verifies the
signature with the Standard Webhooks algorithm, answers 500 once and sees the retry."""

import time

from django_tenants.utils import schema_context

from tests.conftest import make_shipment
from tests.webhooks.receiver import signature_valid
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_endpoint_create

FIRST_RETRY_SECONDS = 0.5


def wait_until(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_receiver_answers_500_once_and_verifies_the_retry(
    committed_tenant, celery_worker, receiver, settings
):
    settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS = [FIRST_RETRY_SECONDS, 300, 1800]
    receiver.answers = [500]
    with schema_context(committed_tenant.schema_name):
        endpoint = webhook_endpoint_create(url=receiver.url, events=["shipment.status_changed"])
    shipment = make_shipment(committed_tenant, status="booked")

    first, retry = receiver.wait_for(2)
    assert signature_valid(endpoint.secret, first) and signature_valid(endpoint.secret, retry)
    assert first.headers["webhook-id"] == retry.headers["webhook-id"]
    assert first.body == retry.body
    assert retry.payload["type"] == "shipment.status_changed"
    assert retry.payload["data"]["id"] == shipment.pk
    assert retry.at - first.at >= FIRST_RETRY_SECONDS - 0.05
    with schema_context(committed_tenant.schema_name):
        delivery = WebhookDelivery.objects.get()
        wait_until(lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == "succeeded")
        codes = [a.status_code for a in delivery.attempt_log.order_by("attempted_at")]
    assert codes == [500, 200]
    time.sleep(0.3)
    assert len(receiver.received) == 2  # delivered at least once, here exactly once


def test_nothing_is_sent_before_the_commit(committed_tenant, celery_worker, receiver):
    from django.db import transaction

    with schema_context(committed_tenant.schema_name):
        webhook_endpoint_create(url=receiver.url, events=["shipment.created"])
    with transaction.atomic():
        make_shipment(committed_tenant)
        time.sleep(0.5)
        assert receiver.received == []
    assert receiver.wait_for(1)[0].payload["type"] == "shipment.created"

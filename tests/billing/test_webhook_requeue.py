"""The sweeper of lost webhook tasks: valid triggers left unprocessed, with no failure, past the
configured age are queued again, once per age; failed, processed, refused and recent ones are
left alone. (tests/faults/test_redis_lost.py shows it recovering a real loss of Redis.)"""

import json
import time
from datetime import timedelta

import pytest
import stripe
from django.conf import settings
from django.utils import timezone
from djstripe.models import WebhookEventTrigger

from billing import tasks
from billing.simulator import sign_payload
from billing.stripe.catalog import webhook_endpoint_ensure
from billing.stripe.webhooks import (
    webhook_delivery_check,
    webhook_trigger_record,
    webhook_triggers_requeue,
)

pytestmark = pytest.mark.django_db

AGE = timedelta(seconds=60)


@pytest.fixture
def endpoint(db, sim, stripe_module):
    endpoint = webhook_endpoint_ensure(base_url="http://localhost")
    stripe.WebhookEndpoint.modify(endpoint.id, disabled=True)
    return endpoint


def stored(endpoint, number: int, *, secret: str | None = None, waited: timedelta, **state):
    """A trigger as the endpoint stores it, queued `waited` ago, with `state` written on it."""
    payload = json.dumps({"id": f"evt_sweep_{number}", "livemode": False, "type": "ping"})
    signature = sign_payload(payload, secret or endpoint.secret, int(time.time()))
    delivery = webhook_delivery_check(
        endpoint=endpoint, body=payload.encode(), headers={"Stripe-Signature": signature}
    )
    trigger = webhook_trigger_record(delivery=delivery, remote_ip="203.0.113.7")
    WebhookEventTrigger.objects.filter(pk=trigger.pk).update(
        updated=timezone.now() - waited, **state
    )
    return trigger.pk


def test_only_valid_unprocessed_unfailed_triggers_past_the_age_are_queued_again_once_per_age(
    endpoint, django_capture_on_commit_callbacks
):
    old = AGE + timedelta(seconds=5)
    lost = [stored(endpoint, 1, waited=old), stored(endpoint, 2, waited=old * 10)]
    stored(endpoint, 3, waited=timedelta(seconds=5))  # its task is likely still queued
    stored(endpoint, 4, waited=old, exception="Stripe is down")  # failed: staff reprocess it
    stored(endpoint, 5, waited=old, processed=True)
    stored(endpoint, 6, waited=old, secret="whsec_forged")

    with django_capture_on_commit_callbacks() as enqueued:
        queued = webhook_triggers_requeue(older_than=AGE)
    assert queued == lost
    assert len(enqueued) == 2

    with django_capture_on_commit_callbacks() as enqueued:
        assert webhook_triggers_requeue(older_than=AGE) == []  # just queued: not again yet
    assert enqueued == []

    WebhookEventTrigger.objects.filter(pk__in=lost).update(updated=timezone.now() - old)
    with django_capture_on_commit_callbacks() as enqueued:
        assert webhook_triggers_requeue(older_than=AGE) == lost
    assert len(enqueued) == 2


def test_beat_runs_the_sweeper_every_minute_by_default():
    entry = settings.CELERY_BEAT_SCHEDULE["billing-webhooks-requeue"]
    assert entry["task"] == tasks.webhook_triggers_requeue_task.name
    assert entry["schedule"] == 60
    assert settings.STRIPE_WEBHOOK_REQUEUE_AFTER_SECONDS == 60

"""Writes of outbound webhooks: endpoints (create, change, delete, rotate the secret), events
written to the outbox in the caller's transaction, delivery attempts with their retry schedule,
redelivery, the sweeper of due deliveries, and disabling an endpoint that keeps failing."""

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context
from rest_framework.utils.encoders import JSONEncoder

from loginexus.accounts.models import Role, User
from loginexus.audit.services import audit_changes, audit_record
from loginexus.exceptions import Conflict
from loginexus.mail.services import email_send
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.selectors import tenant_url
from webhooks.destinations import Answer, destination_resolve, webhook_post
from webhooks.exceptions import DestinationRefused
from webhooks.models import (
    DeliveryStatus,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from webhooks.signing import secret_new, signature_header

logger = logging.getLogger(__name__)

PREVIOUS_SECRET_VALID = timedelta(hours=24)


class EndpointDisabled(Conflict):
    code = "webhook_endpoint_disabled"


def _url_checked(url: str) -> str:
    try:
        destination_resolve(url)
    except DestinationRefused as error:
        raise ValidationError({"url": [error.message]}) from error
    return url


def _events_checked(events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events))
    unknown = [name for name in chosen if name not in EventType.values]
    if unknown or not chosen:
        raise ValidationError(
            {
                "events": [
                    _("Choose at least one of the events: %(events)s.")
                    % {"events": ", ".join(str(label) for label in EventType.labels)}
                ]
            }
        )
    return chosen


@transaction.atomic
def webhook_endpoint_create(
    *, url: str, events: Iterable[str], description: str = ""
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        url=url, events=_events_checked(events), description=description, secret=secret_new()
    )
    endpoint.full_clean()
    _url_checked(url)
    endpoint.save()
    audit_record(
        action="webhook_endpoint.created",
        object_type="webhook_endpoint",
        object_id=endpoint.pk,
        changes={"url": [None, endpoint.url], "events": [None, endpoint.events]},
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given; enabling again forgets the failures that disabled it."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = {name: getattr(endpoint, name) for name in ("url", "events", "description", "enabled")}
    if url is not None and url != endpoint.url:
        endpoint.url = _url_checked(url)
    if events is not None:
        endpoint.events = _events_checked(events)
    if description is not None:
        endpoint.description = description
    if enabled is not None and enabled != endpoint.enabled:
        endpoint.enabled = enabled
        endpoint.failing_since = None
        endpoint.disabled_at = None if enabled else timezone.now()
        endpoint.disabled_reason = ""
    endpoint.full_clean()
    endpoint.save()
    changes = audit_changes(before, {name: getattr(endpoint, name) for name in before})
    if changes:
        audit_record(
            action="webhook_endpoint.updated",
            object_type="webhook_endpoint",
            object_id=endpoint.pk,
            changes=changes,
        )
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()
    audit_record(
        action="webhook_endpoint.deleted",
        object_type="webhook_endpoint",
        object_id=endpoint.pk,
        changes={"url": [endpoint.url, None]},
    )


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, now: datetime | None = None
) -> WebhookEndpoint:
    """A new secret signs from now on; the one it replaces signs too for 24 h, so receivers can
    switch over without missing a delivery. (A second rotation within those 24 h drops the
    oldest secret at once.)"""
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + PREVIOUS_SECRET_VALID
    endpoint.secret = secret_new()
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
    )
    audit_record(
        action="webhook_endpoint.secret_rotated",
        object_type="webhook_endpoint",
        object_id=endpoint.pk,
    )
    return endpoint


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@transaction.atomic(savepoint=False)
def webhook_event_record(
    *, type: str, data: dict[str, Any], now: datetime | None = None
) -> WebhookEvent | None:
    """Write the event and one delivery per enabled endpoint subscribed to its type, in the
    caller's transaction, and queue the deliveries once it commits. Nothing when no endpoint
    listens (and nothing at all if the caller rolls back)."""
    endpoint_ids = list(
        WebhookEndpoint.objects.filter(enabled=True, events__contains=[type]).values_list(
            "pk", flat=True
        )
    )
    if not endpoint_ids:
        return None
    now = now or timezone.now()
    event = WebhookEvent(type=type, created_at=now)
    body = {"id": event.pk, "type": type, "created": _timestamp(now), "data": data}
    event.payload = json.dumps(body, cls=JSONEncoder, separators=(",", ":"), ensure_ascii=False)
    event.save(force_insert=True)
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=event, endpoint_id=pk, next_attempt_at=now, created_at=now)
        for pk in endpoint_ids
    )
    transaction.on_commit(
        partial(_enqueue, connection.schema_name, [delivery.pk for delivery in deliveries])
    )
    return event


def _enqueue(schema_name: str, delivery_ids: Sequence[int], countdown: float = 0) -> None:
    from webhooks.tasks import webhook_deliver_task  # the task module imports this one

    for delivery_id in delivery_ids:
        webhook_deliver_task.apply_async((schema_name, delivery_id), countdown=countdown)


def retry_delay(*, attempts: int) -> timedelta | None:
    """How long after its `attempts`-th failed attempt a delivery is tried again; None once the
    schedule is spent (WEBHOOKS_RETRY_SCHEDULE_SECONDS, Standard Webhooks' by default)."""
    schedule = settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS
    if attempts > len(schedule):
        return None
    return timedelta(seconds=schedule[attempts - 1])


def webhook_delivery_attempt(*, delivery_id: int) -> Answer | None:
    """Send a due delivery, and with it up to WEBHOOKS_BATCH_SIZE - 1 other due deliveries of
    the same endpoint, so that a backlog drains with one claim and one log write per batch.
    Taking them moves them a lease ahead (one short transaction), so duplicate tasks and the
    sweeper leave them alone; no transaction is open while they are sent. Each attempt is
    logged, then each delivery is done, scheduled again or given up, and the endpoint's health
    follows; after a failure the rest of the batch is queued again on its own. The answer is
    that of `delivery_id`; None when it was not due (sent already, or being sent)."""
    now = timezone.now()
    lease = timedelta(seconds=settings.WEBHOOKS_TIMEOUT_SECONDS + settings.WEBHOOKS_LEASE_SECONDS)
    with transaction.atomic():
        _commit_without_waiting_for_disk()
        due = WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            next_attempt_at__lte=now
        )
        delivery = (
            due.select_related("event", "endpoint")
            .filter(pk=delivery_id, endpoint__enabled=True)
            .first()
        )
        if delivery is None:
            return None
        others = (
            due.select_related("event")
            .filter(endpoint_id=delivery.endpoint_id)
            .exclude(pk=delivery.pk)
            .order_by("next_attempt_at", "pk")[: settings.WEBHOOKS_BATCH_SIZE - 1]
        )
        batch = [delivery, *others]
        WebhookDelivery.objects.filter(pk__in=[item.pk for item in batch]).update(
            next_attempt_at=now + lease
        )
    endpoint = delivery.endpoint
    sent: list[tuple[WebhookDelivery, Answer, datetime]] = []
    for item in batch:
        at = timezone.now()
        answer = _send(event=item.event, endpoint=endpoint)
        sent.append((item, answer, at))
        if not answer.succeeded:  # the others would most likely wait and fail the same way
            break
    _attempts_record(endpoint=endpoint, sent=sent, unsent=[item.pk for item in batch[len(sent) :]])
    return sent[0][1]


def _send(*, event: WebhookEvent, endpoint: WebhookEndpoint) -> Answer:
    body = event.payload.encode()
    timestamp = int(timezone.now().timestamp())
    headers = {
        "webhook-id": event.pk,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            secrets=endpoint.signing_secrets(timezone.now()),
            message_id=event.pk,
            timestamp=timestamp,
            body=body,
        ),
    }
    return webhook_post(url=endpoint.url, body=body, headers=headers)


def _commit_without_waiting_for_disk() -> None:
    """The worker's own writes (the lease, the attempt's log) need not wait for the disk: one
    lost in a crash of the database only means the delivery is sent again, which at-least-once
    delivery allows (receivers deduplicate on `webhook-id`). The change's event and deliveries
    are committed as durably as the change."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


@transaction.atomic
def _attempts_record(
    *,
    endpoint: WebhookEndpoint,
    sent: list[tuple[WebhookDelivery, Answer, datetime]],
    unsent: list[int],
) -> None:
    _commit_without_waiting_for_disk()
    WebhookAttempt.objects.bulk_create(
        WebhookAttempt(
            delivery=item,
            attempted_at=at,
            duration_ms=answer.duration_ms,
            status_code=answer.status_code,
            succeeded=answer.succeeded,
            error=answer.error[:500],
            response_body=answer.body,
        )
        for item, answer, at in sent
    )
    succeeded = [(item, at) for item, answer, at in sent if answer.succeeded]
    if succeeded:
        WebhookDelivery.objects.filter(pk__in=[item.pk for item, _ in succeeded]).update(
            attempts=F("attempts") + 1,
            status=DeliveryStatus.SUCCEEDED,
            next_attempt_at=None,
            last_attempt_at=succeeded[-1][1],
        )
        if endpoint.failing_since is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
            endpoint.failing_since = None
    for item, answer, at in sent:
        if not answer.succeeded:
            _attempt_failed(delivery=item, endpoint=endpoint, at=at)
    if unsent:
        WebhookDelivery.objects.filter(pk__in=unsent).update(next_attempt_at=timezone.now())
        transaction.on_commit(partial(_enqueue, connection.schema_name, unsent))


def _attempt_failed(*, delivery: WebhookDelivery, endpoint: WebhookEndpoint, at: datetime) -> None:
    delay = retry_delay(attempts=delivery.attempts + 1)
    next_attempt_at = at + delay if delay else None
    _endpoint_failure_note(endpoint=endpoint, at=at)
    if delay and delay.total_seconds() <= settings.WEBHOOKS_COUNTDOWN_MAX_SECONDS:
        # Short waits ride on the task's countdown; the sweeper covers the long ones (and a
        # countdown Redis lost).
        countdown = max(0.0, (next_attempt_at - timezone.now()).total_seconds())
        transaction.on_commit(partial(_enqueue, connection.schema_name, [delivery.pk], countdown))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=F("attempts") + 1,
        status=DeliveryStatus.PENDING if delay else DeliveryStatus.FAILED,
        next_attempt_at=next_attempt_at,
        last_attempt_at=at,
    )


def _endpoint_failure_note(*, endpoint: WebhookEndpoint, at: datetime) -> None:
    """Remember since when the endpoint fails; past WEBHOOKS_DISABLE_AFTER_DAYS of nothing but
    failures, disable it and tell the workspace's admins (once: whoever disables it)."""
    failing_since = endpoint.failing_since
    if failing_since is None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
            failing_since=at
        )
        return
    if at - failing_since < timedelta(days=settings.WEBHOOKS_DISABLE_AFTER_DAYS):
        return
    reason = f"Every delivery failed for {settings.WEBHOOKS_DISABLE_AFTER_DAYS} days."
    disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
        enabled=False, disabled_at=at, disabled_reason=reason
    )
    if disabled:
        logger.warning(
            "webhook endpoint %s disabled after failing since %s", endpoint.pk, failing_since
        )
        _disabled_email_send(endpoint=endpoint, failing_since=failing_since)


def _disabled_email_send(*, endpoint: WebhookEndpoint, failing_since: datetime) -> None:
    tenant = Tenant.objects.get(schema_name=connection.schema_name)
    # One email per admin, each in its reader's language and time zone.
    for admin in User.objects.filter(role=Role.ADMIN, is_active=True).order_by("email"):
        email_send(
            to=[admin.email],
            template="webhook_endpoint_disabled",
            tenant=tenant,
            person=admin,
            context={
                "endpoint": endpoint,
                "failing_since": failing_since,
                "days": settings.WEBHOOKS_DISABLE_AFTER_DAYS,
                "page_url": f"{tenant_url(tenant=tenant)}settings/webhooks/{endpoint.pk}/",
            },
        )


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the delivery again now (same `webhook-id`, so receivers can tell it is the same
    event); if that attempt fails, its schedule goes on from where it stood."""
    delivery = (
        WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    )
    if not delivery.endpoint.enabled:
        raise EndpointDisabled(_("This endpoint is disabled; enable it to redeliver."))
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    transaction.on_commit(partial(_enqueue, connection.schema_name, [delivery.pk]))
    return delivery


def _schemas_with_due_deliveries(*, due_before: datetime) -> list[str]:
    """One statement over every tenant schema: those with deliveries due before `due_before`."""
    schemas = list(
        Tenant.objects.exclude(schema_name=get_public_schema_name()).values_list(
            "schema_name", flat=True
        )
    )
    if not schemas:
        return []
    quote = connection.ops.quote_name
    branches = [
        f"(SELECT %s FROM {quote(schema)}.webhooks_webhookdelivery"  # noqa: S608
        " WHERE next_attempt_at < %s LIMIT 1)"
        for schema in schemas
    ]
    parameters = [value for schema in schemas for value in (schema, due_before)]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(branches), parameters)
        return [row[0] for row in cursor.fetchall()]


def webhook_deliveries_due_requeue(
    *, overdue_by: timedelta, limit: int = 1000, now: datetime | None = None
) -> int:
    """Queue again the deliveries due more than `overdue_by` ago in every workspace: retries
    whose wait was too long for a countdown, and deliveries whose task was lost. Queuing moves
    them to now, so each is queued at most once per `overdue_by`."""
    now = now or timezone.now()
    queued = 0
    for schema in _schemas_with_due_deliveries(due_before=now - overdue_by):
        with schema_context(schema), transaction.atomic():
            ids = list(
                WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(next_attempt_at__lt=now - overdue_by, endpoint__enabled=True)
                .order_by("next_attempt_at")
                .values_list("pk", flat=True)[:limit]
            )
            WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now)
            transaction.on_commit(partial(_enqueue, schema, ids))
        queued += len(ids)
    if queued:
        logger.info("queued %s due webhook delivery(ies) again", queued)
    return queued

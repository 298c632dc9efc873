"""Services of Stripe webhooks: check and record what reached the endpoint, process a verified
trigger on a worker, queue again one whose task was lost, reprocess one when staff ask.

dj-stripe's own view validates and processes inside the request, and its deprecated callback
(gone in 3.0) can enqueue work that runs before dj-stripe's final save of the trigger, which then
overwrites `processed`. Here the trigger is verified and saved first, the task is enqueued only
after that commit, and the worker alone processes and saves it, under a row lock. The event's
object is synced from the event's body (event_sync.py), not fetched again from Stripe.
"""

import ipaddress
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from traceback import format_exc

from django.db import transaction
from django.utils import timezone
from django.utils.datastructures import CaseInsensitiveMapping
from djstripe.models import Customer, Event, WebhookEndpoint, WebhookEventTrigger

from billing.models import Entitlement, SubscriptionStatus
from billing.notices.services import (
    NOTICE_EVENTS,
    RESOLVING_EVENTS,
    notice_for_event,
    notices_resolve,
)
from billing.services import entitlement_and_invoice_refresh
from billing.stripe import boundary
from billing.stripe.event_sync import AppliedEvent, event_apply
from billing.stripe.subscriptions import invoice_subscription_id
from billing.tax.services import checkout_details_adopt
from loginexus.tenancy.models import Tenant

logger = logging.getLogger(__name__)

# Events whose object belongs to a customer whose entitlement may change.
ENTITLEMENT_EVENTS = (
    "checkout.session.",
    "customer.subscription.",
    "invoice.",
)

# A refused delivery is kept for staff to see what was tried, never whole: anyone may POST
# megabytes to the endpoint.
REFUSED_BODY_KEPT = 2000  # characters
REFUSED_HEADERS_KEPT = 50
REFUSED_HEADER_KEPT = 500  # characters of a header's name or value
_TRUNCATION = "\n[truncated: {received} bytes received, the first {kept} characters kept]"
_TRUNCATION_PATTERN = re.compile(
    r"\n\[truncated: (?P<received>\d+) bytes received, the first (?P<kept>\d+) characters kept\]\Z"
)
# PostgreSQL stores no NUL character in text or JSON.
_NUL, _REPLACEMENT = "\x00", "\ufffd"
# Where the client's address is unknown or is no address (the column holds addresses only).
UNKNOWN_ADDRESS = "0.0.0.0"  # noqa: S104 (recorded, never bound to)
# Triggers queued again by one sweep at most; the next sweep takes the rest.
REQUEUE_BATCH = 500


def _is_stripe_event(body: str) -> bool:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # nested deeper than Python parses
        return False
    return isinstance(data, dict) and "id" in data and "livemode" in data and "type" in data


@dataclass(frozen=True)
class WebhookDelivery:
    """What reached the endpoint, checked but not stored yet."""

    endpoint: WebhookEndpoint
    body: str
    headers: dict[str, str]
    received_bytes: int
    valid: bool


def _without_nul(text: str) -> str:
    return text.replace(_NUL, _REPLACEMENT)


def webhook_delivery_check(
    *, endpoint: WebhookEndpoint, body: bytes, headers: Mapping[str, str]
) -> WebhookDelivery:
    """Valid only when the endpoint's secret signs a Stripe event (a body with a NUL character
    never is one)."""
    text = body.decode("utf-8", errors="replace")
    signature = CaseInsensitiveMapping(headers).get("stripe-signature")
    valid = (
        _NUL not in text
        and boundary.webhook_signature_valid(
            payload=text,
            signature=signature,
            secret=endpoint.secret,
            tolerance=endpoint.djstripe_tolerance,
        )
        and _is_stripe_event(text)
    )
    return WebhookDelivery(
        endpoint=endpoint,
        body=_without_nul(text),
        headers={_without_nul(name): _without_nul(value) for name, value in headers.items()},
        received_bytes=len(body),
        valid=valid,
    )


def _kept_of_refused(delivery: WebhookDelivery) -> tuple[str, dict[str, str]]:
    body = delivery.body
    if len(body) > REFUSED_BODY_KEPT:
        body = body[:REFUSED_BODY_KEPT] + _TRUNCATION.format(
            received=delivery.received_bytes, kept=REFUSED_BODY_KEPT
        )
    headers = {
        name[:REFUSED_HEADER_KEPT]: value[:REFUSED_HEADER_KEPT]
        for name, value in list(delivery.headers.items())[:REFUSED_HEADERS_KEPT]
    }
    return body, headers


def webhook_body_truncation(body: str) -> tuple[str, int | None]:
    """A stored body as (what was kept, bytes received); the bytes are None when it is whole.
    (A short body that merely ends like the marker is whole: what it says was kept is not.)"""
    match = _TRUNCATION_PATTERN.search(body)
    if match is None or int(match["kept"]) != match.start():
        return body, None
    return body[: match.start()], int(match["received"])


def _address(remote_ip: str) -> str:
    try:
        return str(ipaddress.ip_address(remote_ip))
    except ValueError:
        return UNKNOWN_ADDRESS


def webhook_trigger_record(*, delivery: WebhookDelivery, remote_ip: str) -> WebhookEventTrigger:
    """Store a checked delivery (a refused one shortened, saying so) and enqueue a valid one for
    processing once the row is committed."""
    from billing.tasks import webhook_trigger_process_task  # the task module imports this one

    body, headers = (
        (delivery.body, delivery.headers) if delivery.valid else _kept_of_refused(delivery)
    )
    endpoint = delivery.endpoint
    trigger = WebhookEventTrigger(
        headers=headers,
        body=body,
        remote_ip=_address(remote_ip),
        valid=delivery.valid,
        webhook_endpoint=endpoint,
        # The endpoint's account by its id: the row is not read for it.
        stripe_trigger_account_id=endpoint.djstripe_owner_account_id,
    )
    # One INSERT, a transaction of its own (or part of the caller's): the task is sent once
    # it is committed.
    trigger.save()
    if trigger.valid:
        transaction.on_commit(partial(webhook_trigger_process_task.delay, trigger.pk))
    return trigger


def _tenant_of(event: Event) -> Tenant | None:
    """The tenant of the event's customer (dj-stripe fetches a customer not stored yet)."""
    stripe_object = event.data["object"]
    customer_id = stripe_object["id"] if stripe_object.get("object") == "customer" else None
    customer_id = customer_id or stripe_object.get("customer")
    if isinstance(customer_id, str):
        stored = Customer.objects.filter(id=customer_id).select_related("subscriber").first()
        if stored is not None:
            return stored.subscriber
    customer = event.customer
    return customer.subscriber if customer else None


def _tenant_to_refresh(applied: AppliedEvent) -> Tenant | None:
    """The tenant whose entitlement the event may have changed: its object changed, and it is
    a subscription, a checkout, a customer, or an invoice of a subscription the entitlement does
    not follow yet or that is past due (its grace runs from the unpaid invoice)."""
    event = applied.event
    if not applied.changed or not event.type.startswith(ENTITLEMENT_EVENTS):
        return None
    if event.type.startswith("invoice."):
        subscription_id = invoice_subscription_id(event.data["object"])
        followed = Entitlement.objects.filter(stripe_subscription_id=subscription_id)
        if subscription_id and followed.exclude(status=SubscriptionStatus.PAST_DUE).exists():
            return None
    return _tenant_of(event)


def _notice_send(event: Event) -> None:
    """The email an event calls for (a trial ending, a payment failed or awaiting 3-D Secure),
    sent once per object and kind however often the event arrives (billing/notices)."""
    if event.type in RESOLVING_EVENTS:
        notices_resolve(stripe_id=event.data["object"]["id"])
    elif event.type in NOTICE_EVENTS:
        notice_for_event(
            tenant=_tenant_of(event), event_type=event.type, stripe_object=event.data["object"]
        )


def webhook_trigger_process(
    *, trigger_id: int, apply: Callable[[WebhookEventTrigger], AppliedEvent] = event_apply
) -> None:
    """Apply a stored trigger's event once: its object synced from the event's body, unless
    that may be older than the stored copy (event_sync.py), then the customer's tenant gets its
    entitlement recomputed if the object changed.

    Processing holds the trigger's row lock, so a duplicate task waits and then finds it done.
    A failure rolls back what was half-applied, is recorded on the trigger (visible to staff)
    and is raised again so the task retries.
    """
    try:
        with transaction.atomic():
            trigger = WebhookEventTrigger.objects.select_for_update().filter(pk=trigger_id).first()
            if trigger is None:
                logger.info("Webhook trigger %s no longer exists; nothing to process", trigger_id)
                return
            if trigger.processed or not trigger.valid:
                return
            with boundary.stripe_errors():
                applied = apply(trigger)
                tenant = _tenant_to_refresh(applied)
                if tenant is not None and applied.event.type == "checkout.session.completed":
                    checkout_details_adopt(tenant=tenant, session=applied.event.data["object"])
                if tenant is not None:
                    entitlement_and_invoice_refresh(tenant=tenant)
                _notice_send(applied.event)
            trigger.event, trigger.processed = applied.event, True
            trigger.exception = trigger.traceback = ""
            trigger.save(update_fields=["event", "processed", "exception", "traceback", "updated"])
    except Exception as error:
        max_length = WebhookEventTrigger._meta.get_field("exception").max_length
        WebhookEventTrigger.objects.filter(pk=trigger_id).update(
            exception=str(error)[:max_length], traceback=format_exc(), processed=False
        )
        logger.warning("Webhook trigger %s failed: %s", trigger_id, error)
        raise


def webhook_triggers_requeue(*, older_than: timedelta) -> list[int]:
    """Queue again the valid triggers left unprocessed, with no failure recorded, since longer
    than `older_than`: their task was lost (Redis lost its queue, or the web process died
    between the commit and the enqueue). Failed ones wait for staff, as they do anyway.

    Each queued trigger's `updated` moves to now, so one still waiting behind a long queue is
    queued again at most once per `older_than`; a duplicate finds it processed and does nothing.
    Triggers a worker holds right now (their row locked) are skipped.
    """
    from billing.tasks import webhook_trigger_process_task  # the task module imports this one

    cutoff = timezone.now() - older_than
    with transaction.atomic():
        trigger_ids = list(
            WebhookEventTrigger.objects.select_for_update(skip_locked=True)
            .filter(valid=True, processed=False, exception="", updated__lt=cutoff)
            .order_by("pk")
            .values_list("pk", flat=True)[:REQUEUE_BATCH]
        )
        WebhookEventTrigger.objects.filter(pk__in=trigger_ids).update(updated=timezone.now())
        for trigger_id in trigger_ids:
            transaction.on_commit(partial(webhook_trigger_process_task.delay, trigger_id))
    if trigger_ids:
        logger.warning(
            "Queued %d webhook trigger(s) again whose task was lost: %s",
            len(trigger_ids),
            trigger_ids,
        )
    return trigger_ids


@dataclass(frozen=True)
class WebhookReprocess:
    """What a reprocess request did, by trigger id."""

    queued: list[int] = field(default_factory=list)
    already_processed: list[int] = field(default_factory=list)
    invalid: list[int] = field(default_factory=list)


def webhook_trigger_reprocess(*, trigger_ids: Iterable[int]) -> WebhookReprocess:
    """Queue failed (or still pending) triggers for the worker again, the same way a delivery is
    queued. The recorded error is cleared at once, so the trigger no longer shows as failed while
    it waits; a processed or invalid trigger is left alone."""
    from billing.tasks import webhook_trigger_process_task  # the task module imports this one

    outcome = WebhookReprocess()
    with transaction.atomic():
        # The worker holds this lock while it processes: wait for it and see its result.
        triggers = (
            WebhookEventTrigger.objects.select_for_update()
            .filter(pk__in=list(trigger_ids))
            .order_by("pk")
        )
        for trigger in triggers:
            if not trigger.valid:
                outcome.invalid.append(trigger.pk)
            elif trigger.processed:
                outcome.already_processed.append(trigger.pk)
            else:
                outcome.queued.append(trigger.pk)
        WebhookEventTrigger.objects.filter(pk__in=outcome.queued).update(
            exception="", traceback="", updated=timezone.now()
        )
        for trigger_id in outcome.queued:
            transaction.on_commit(partial(webhook_trigger_process_task.delay, trigger_id))
    return outcome

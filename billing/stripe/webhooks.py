"""Services of Stripe webhooks: record a verified trigger, process it on a worker, reprocess it
when staff ask.

dj-stripe's own view validates and processes inside the request, and its deprecated callback
(gone in 3.0) can enqueue work that runs before dj-stripe's final save of the trigger, which then
overwrites `processed`. Here the trigger is verified and saved first, the task is enqueued only
after that commit, and the worker alone processes and saves it, under a row lock.
"""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from traceback import format_exc

from django.db import transaction
from django.utils import timezone
from djstripe.models import Event, WebhookEndpoint, WebhookEventTrigger

from billing.services import entitlement_refresh
from billing.stripe import boundary
from loginexus.tenancy.models import Tenant

logger = logging.getLogger(__name__)

# Events whose object belongs to a customer whose entitlement may change.
ENTITLEMENT_EVENTS = (
    "checkout.session.",
    "customer.subscription.",
    "invoice.",
)


def _is_stripe_event(body: str) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and "id" in data and "livemode" in data and "type" in data


def webhook_trigger_record(
    *, endpoint: WebhookEndpoint, body: str, headers: dict[str, str], remote_ip: str
) -> WebhookEventTrigger:
    """Store what reached the endpoint, marked valid only with a good signature, and enqueue
    the valid ones for processing once the row is committed."""
    from billing.tasks import webhook_trigger_process_task  # the task module imports this one

    trigger = WebhookEventTrigger(
        headers=headers,
        body=body,
        remote_ip=remote_ip,
        webhook_endpoint=endpoint,
        stripe_trigger_account=endpoint.djstripe_owner_account,
    )
    trigger.valid = _is_stripe_event(body) and trigger.verify_signature(
        secret=endpoint.secret, tolerance=endpoint.djstripe_tolerance
    )
    with transaction.atomic():
        trigger.save()
        if trigger.valid:
            transaction.on_commit(lambda: webhook_trigger_process_task.delay(trigger.pk))
    return trigger


def _tenant_of(event: Event) -> Tenant | None:
    if not event.type.startswith(ENTITLEMENT_EVENTS):
        return None
    customer = event.customer
    return customer.subscriber if customer else None


def webhook_trigger_process(*, trigger_id: int) -> None:
    """Apply a stored trigger's event once: dj-stripe syncs the object as Stripe has it now,
    then the customer's tenant gets its entitlement recomputed.

    Processing holds the trigger's row lock, so a duplicate task waits and then finds it done.
    A failure rolls back what was half-applied, is recorded on the trigger (visible to staff)
    and is raised again so the task retries.
    """
    try:
        with transaction.atomic():
            trigger = WebhookEventTrigger.objects.select_for_update().get(pk=trigger_id)
            if trigger.processed or not trigger.valid:
                return
            with boundary.stripe_errors():
                event = trigger.process(save=False)
                tenant = _tenant_of(event)
                if tenant is not None:
                    entitlement_refresh(tenant=tenant)
            trigger.save()
    except Exception as error:
        max_length = WebhookEventTrigger._meta.get_field("exception").max_length
        WebhookEventTrigger.objects.filter(pk=trigger_id).update(
            exception=str(error)[:max_length], traceback=format_exc(), processed=False
        )
        logger.warning("Webhook trigger %s failed: %s", trigger_id, error)
        raise


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

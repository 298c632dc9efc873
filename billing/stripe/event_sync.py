"""Apply a verified Stripe event from its own body: the event is stored as dj-stripe stores it,
dj-stripe syncs the event's object into its tables, and Stripe is asked again only when the body
may be older than the stored copy, or for related objects that are not stored yet.

Stripe delivers events late, twice and out of order, and a tenant's state must follow its
subscription as Stripe has it now, never roll back. So the body is applied only when it is
known to be newer than the stored copy: nothing is stored yet; the copy is exactly an earlier
event's body (`StripeObjectVersion`); or the object has visibly moved on (`_progress`). A body
known to be older, or equal to the copy, is skipped. Anything else (two events of one second,
a copy read from Stripe at an unknown moment) is settled by reading the object from Stripe.

A newer body of an object stored already is mostly only its JSON moved on (a renewal, a paid
invoice): it is then written in place (sync_in_place.py) instead of through dj-stripe's sync,
which would look up every related object again.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import stripe
from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Subquery
from djstripe.models import (
    Customer,
    Event,
    Invoice,
    PaymentMethod,
    Session,
    Subscription,
    WebhookEventTrigger,
)

from billing.models import StripeObjectVersion
from billing.stripe import boundary
from billing.stripe.sync_in_place import written_in_place

logger = logging.getLogger(__name__)

MODELS = {
    "checkout.session": Session,
    "customer": Customer,
    "invoice": Invoice,
    "payment_method": PaymentMethod,
    "subscription": Subscription,
}
# Statuses in the only order Stripe moves them (later ones never come back to earlier ones).
SUBSCRIPTION_RANKS = {"incomplete": 0, "canceled": 2, "incomplete_expired": 2}  # others: 1
INVOICE_RANKS = {"draft": 0, "open": 1, "uncollectible": 2, "paid": 3, "void": 3}
SESSION_RANKS = {"open": 0, "complete": 1, "expired": 1}
# Advisory lock class of "a Stripe object being synced" (the key is a hash of its id).
_OBJECT_LOCK = 0x5EC0


@dataclass(frozen=True)
class AppliedEvent:
    event: Event
    changed: bool  # whether the stored copy of the event's object may have changed


class Decision(Enum):
    APPLY = "apply"  # store the event's body
    SKIP = "skip"  # the stored copy is as new or newer
    FETCH = "fetch"  # undecidable from here: read the object from Stripe


def digest(stripe_object: Any) -> str:
    canonical = json.dumps(stripe_object, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _progress(data: dict[str, Any]) -> tuple:
    """How far the object has come: a tuple that never decreases as Stripe changes the object,
    so a greater one is newer and a smaller one older."""
    kind, status = data.get("object"), data.get("status")
    if kind == "subscription":
        items = (data.get("items") or {}).get("data") or [{}]
        period_start = items[0].get("current_period_start") or data.get("current_period_start")
        return (SUBSCRIPTION_RANKS.get(status, 1), period_start or 0)
    if kind == "invoice":
        return (INVOICE_RANKS.get(status, 0), data.get("attempt_count") or 0)
    if kind == "checkout.session":
        return (SESSION_RANKS.get(status, 0),)
    return ()


@dataclass(frozen=True)
class StoredCopy:
    """dj-stripe's stored copy of an object and what `StripeObjectVersion` says of it."""

    data: dict[str, Any]
    as_of: datetime | None
    digest: str | None


def decide(
    *, event_type: str, created: datetime, body: dict[str, Any], stored: StoredCopy | None
) -> Decision:
    """Whether the event's body is newer than the stored copy of its object."""
    if stored is None:
        return Decision.APPLY
    if event_type.endswith(".created"):
        return Decision.SKIP  # nothing is older than the object's creation
    if stored.as_of is not None and created < stored.as_of:
        return Decision.SKIP
    exact = stored.digest is not None and stored.digest == digest(stored.data)
    if stored.as_of is not None and created > stored.as_of and exact:
        return Decision.APPLY
    if _progress(body) != _progress(stored.data):
        return Decision.APPLY if _progress(body) > _progress(stored.data) else Decision.SKIP
    if digest(body) == digest(stored.data):
        return Decision.SKIP
    return Decision.FETCH


def _stored_copy(model, stripe_id: str, *, event_id: str) -> tuple[StoredCopy | None, bool]:
    """The stored copy, read after the object's lock is held, and whether the event is stored
    already: one query while the object is stored, two before."""
    versions = StripeObjectVersion.objects.filter(stripe_id=OuterRef("id"))
    row = (
        model.objects.filter(id=stripe_id)
        .annotate(
            version_as_of=Subquery(versions.values("as_of")),
            version_digest=Subquery(versions.values("digest")),
            event_stored=Exists(Event.objects.filter(id=event_id)),
        )
        .values_list("stripe_data", "version_as_of", "version_digest", "event_stored")
        .first()
    )
    if row is None:
        return None, Event.objects.filter(id=event_id).exists()
    *stored, event_stored = row
    return StoredCopy(*stored), event_stored


def _object_lock(stripe_id: str) -> None:
    """Events of one object are weighed and applied one at a time, whichever worker has them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_OBJECT_LOCK, stripe_id])


def _model_synced_from_body(data: dict[str, Any]):
    """The model the event's object is synced into from the body; None when dj-stripe's own
    handler applies the event (an object of another kind, a deletion but a subscription's)."""
    event_type = data["type"]
    if event_type.endswith(".deleted") and event_type != "customer.subscription.deleted":
        return None
    return MODELS.get(data["data"]["object"].get("object"))


def _names_discounts(body: dict[str, Any]) -> bool:
    return body.get("object") == "invoice" and any(
        isinstance(discount, str) for discount in body.get("discounts") or []
    )


def _object_apply(event: Event, model, stored: StoredCopy | None) -> bool:
    """Sync the event's object into dj-stripe's tables as the decision says; whether it did."""
    body = event.data["object"]
    stripe_id, api_key = body["id"], settings.STRIPE_SECRET_KEY
    decision = decide(event_type=event.type, created=event.created, body=body, stored=stored)
    if decision is Decision.SKIP:
        return False
    if decision is Decision.APPLY and _names_discounts(body):
        # dj-stripe syncs an invoice's discounts from their objects, which a body names by id
        # only: the invoice is read from Stripe with them expanded.
        decision = Decision.FETCH
    if decision is Decision.APPLY:
        if stored is None or not written_in_place(model, body=body, stored=stored.data):
            model.sync_from_stripe_data(boundary.as_stripe_object(body), api_key=api_key)
        version = StripeObjectVersion(stripe_id=stripe_id, as_of=event.created, digest=digest(body))
    else:
        try:
            current = model(id=stripe_id).api_retrieve(api_key=api_key)
        except stripe.InvalidRequestError as error:
            if error.code != "resource_missing":
                raise
            logger.info("%s %s is gone from Stripe; event %s skipped", model, stripe_id, event.id)
            return False
        model.sync_from_stripe_data(current, api_key=api_key)
        as_of = max(event.created, stored.as_of) if stored and stored.as_of else event.created
        version = StripeObjectVersion(stripe_id=stripe_id, as_of=as_of, digest="")
    StripeObjectVersion.objects.bulk_create(
        [version],
        update_conflicts=True,
        unique_fields=["stripe_id"],
        update_fields=["as_of", "digest"],
    )
    return True


def event_store(data: dict[str, Any], *, owner_account_id: str | None) -> Event:
    """The event's row, as dj-stripe's own sync writes it (tests compare the two), in one
    statement: its account is the one the delivery came for, which dj-stripe would look up."""
    if owner_account_id is None:
        return Event._create_from_stripe_object(data, api_key=settings.STRIPE_SECRET_KEY)
    request = data.get("request")
    request = request if isinstance(request, dict) else {"id": request}
    event = Event(
        id=data["id"],
        djstripe_owner_account_id=owner_account_id,
        livemode=data.get("livemode"),
        created=datetime.fromtimestamp(data["created"], tz=UTC),
        metadata=data.get("metadata"),
        api_version=data.get("api_version") or "",
        data=data["data"],
        request_id=request.get("id") or "",
        idempotency_key=request.get("idempotency_key") or "",
        type=data["type"],
        stripe_data=data,
    )
    event.save(force_insert=True)
    return event


def event_apply(trigger: WebhookEventTrigger) -> AppliedEvent:
    """Store the trigger's event once and sync its object. The object's lock comes first: the
    same event delivered twice, in two workers at once, is stored by one; the other finds it."""
    data = trigger.json_body
    _object_lock(data["data"]["object"].get("id") or data["id"])
    owner_account_id = trigger.stripe_trigger_account_id
    model = _model_synced_from_body(data)
    if model is None:
        stored_event = Event.objects.filter(id=data["id"]).first()
        if stored_event is not None:
            return AppliedEvent(event=stored_event, changed=False)
        event = event_store(data, owner_account_id=owner_account_id)
        event.invoke_webhook_handlers()  # dj-stripe's own handler, which reads from Stripe
        return AppliedEvent(event=event, changed=True)
    stored, event_stored = _stored_copy(model, data["data"]["object"]["id"], event_id=data["id"])
    if event_stored:
        return AppliedEvent(event=Event.objects.get(id=data["id"]), changed=False)
    event = event_store(data, owner_account_id=owner_account_id)
    return AppliedEvent(event=event, changed=_object_apply(event, model, stored))


def event_apply_refetching(trigger: WebhookEventTrigger) -> AppliedEvent:
    """dj-stripe's own processing, which reads the event's object (and more) from Stripe for
    every event: how events were applied before, kept to measure against (bench/)."""
    return AppliedEvent(event=trigger.process(save=False), changed=True)

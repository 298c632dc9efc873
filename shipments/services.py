"""Writes of shipments: create, edit, move through the status machine, delete.

`shipment_create` is the one way a shipment is made (pages, API, demo data, tests): it validates,
then inserts through `Shipment.objects.create`, whose `save()` counts the shipment against the
plan (billing.limits), and records the first event.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_lazy

from loginexus.accounts.models import User
from loginexus.audit.services import audit_changes, audit_record
from loginexus.transitions import ensure_transition
from shipments.exceptions import ShipmentLocked
from shipments.models import SHIPMENT_TRANSITIONS, Shipment, ShipmentEvent, ShipmentStatus
from shipments.signals import shipment_created, shipment_status_changed

EDITABLE_FIELDS = frozenset(
    {"reference", "origin", "destination", "carrier", "weight_kg", "expected_delivery"}
)
DUPLICATE_REFERENCE = gettext_lazy("A shipment with this reference already exists.")


@transaction.atomic
def shipment_create(
    *,
    reference: str,
    origin: str,
    destination: str,
    carrier: str,
    weight_kg: Decimal,
    expected_delivery: date | None = None,
    created_by: User | None = None,
) -> Shipment:
    fields = {
        "reference": reference,
        "origin": origin,
        "destination": destination,
        "carrier": carrier,
        "weight_kg": weight_kg,
        "expected_delivery": expected_delivery,
        "created_by": created_by,
    }
    Shipment(**fields).full_clean()
    with _reference_kept_unique(reference):
        shipment = Shipment.objects.create(**fields)
    ShipmentEvent.objects.create(
        shipment=shipment, actor=created_by, from_status="", to_status=shipment.status
    )
    audit_record(
        action="shipment.created",
        object_type="shipment",
        object_id=shipment.pk,
        changes=audit_changes({}, {**fields, "created_by": None, "status": shipment.status}),
    )
    shipment_created.send(sender=Shipment, shipment=shipment)
    return shipment


@transaction.atomic
def shipment_update(
    *, shipment: Shipment, actor: User | None, to_status: str | None = None, **details: Any
) -> Shipment:
    """Correct a shipment's details (only while draft or booked), then move it to `to_status`
    if one is given and differs from its status: all of it or none of it."""
    unknown = set(details) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if details:
        if not shipment.is_editable:
            raise ShipmentLocked(
                gettext(
                    "A shipment with status “%(status)s” can no longer be edited; "
                    "only draft and booked shipments can."
                )
                % {"status": shipment.get_status_display()}
            )
        before = {name: getattr(shipment, name) for name in details}
        for name, value in details.items():
            setattr(shipment, name, value)
        shipment.full_clean()
        with _reference_kept_unique(shipment.reference, shipment_pk=shipment.pk):
            shipment.save()
        changes = audit_changes(before, details)
        if changes:
            audit_record(
                action="shipment.updated",
                object_type="shipment",
                object_id=shipment.pk,
                changes=changes,
            )
    if to_status is not None and to_status != shipment.status:
        shipment = shipment_transition(shipment=shipment, to_status=to_status, actor=actor)
    return shipment


@transaction.atomic
def shipment_transition(*, shipment: Shipment, to_status: str, actor: User | None) -> Shipment:
    """Move the shipment to `to_status` if its status machine allows it, and record the event.

    The row lock makes concurrent changes of one shipment take turns, so two cannot both pass.
    """
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    ensure_transition(
        table=SHIPMENT_TRANSITIONS,
        current=shipment.status,
        target=to_status,
        label=_status_label,
        can_only_become=gettext("This shipment is %(current)s; it can only become: %(allowed)s."),
        cannot_change=gettext("This shipment is %(current)s; its status cannot change any more."),
    )
    ShipmentEvent.objects.create(
        shipment=shipment, actor=actor, from_status=shipment.status, to_status=to_status
    )
    audit_record(
        action="shipment.status_changed",
        object_type="shipment",
        object_id=shipment.pk,
        changes={"status": [shipment.status, to_status]},
    )
    from_status, shipment.status = shipment.status, to_status
    shipment.save(update_fields=["status", "updated_at"])
    shipment_status_changed.send(sender=Shipment, shipment=shipment, from_status=from_status)
    return shipment


@transaction.atomic
def shipment_delete(*, shipment: Shipment) -> None:
    """Delete a shipment that never left or never will (draft, cancelled) and secures no escrow.

    Deleting gives nothing back to the plan's count of shipments created in the period.
    """
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if not shipment.is_deletable:
        raise ShipmentLocked(
            gettext(
                "A shipment with status “%(status)s” cannot be deleted; "
                "only draft and cancelled shipments can."
            )
            % {"status": shipment.get_status_display()}
        )
    if shipment.escrows.exists():
        raise ShipmentLocked(gettext("This shipment secures escrows; it cannot be deleted."))
    audit_record(
        action="shipment.deleted",
        object_type="shipment",
        object_id=shipment.pk,
        changes={"reference": [shipment.reference, None], "status": [shipment.status, None]},
    )
    shipment.delete()


def _status_label(status: str) -> str:
    return str(ShipmentStatus(status).label) if status in ShipmentStatus.values else status


@contextmanager
def _reference_kept_unique(reference: str, *, shipment_pk: int | None = None) -> Iterator[None]:
    """A reference taken by a concurrent writer between full_clean() and the write becomes the
    same field error full_clean() gives; any other IntegrityError stays what it is.

    The savepoint leaves the transaction usable, so the taken reference can be looked up.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        taken = Shipment.objects.filter(reference=reference).exclude(pk=shipment_pk).exists()
        if not taken:
            raise
        raise ValidationError({"reference": [DUPLICATE_REFERENCE]}) from error

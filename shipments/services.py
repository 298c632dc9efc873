"""Writes of shipments: create, edit, move through the status machine, delete.

`shipment_create` is the one way a shipment is made (pages, API, demo data, tests): it validates,
then inserts through `Shipment.objects.create`, whose `save()` counts the shipment against the
plan (billing.limits), and records the first event.

Validation checks in Python only what the database cannot say as a field error: the unique
reference is the unique index's to guard (its violation becomes the reference's field error), the
check constraints' rules are the fields' own validators and choices, and a foreign key given as an
object is the foreign key's to guard. Each of those would otherwise be a statement of every write.
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
from loginexus.integrity import unique_violated
from loginexus.transitions import ensure_transition
from shipments.exceptions import ShipmentLocked
from shipments.models import SHIPMENT_TRANSITIONS, Shipment, ShipmentEvent, ShipmentStatus
from shipments.signals import shipment_created, shipment_status_changed

EDITABLE_FIELDS = frozenset(
    {"reference", "origin", "destination", "carrier", "weight_kg", "expected_delivery"}
)
DUPLICATE_REFERENCE = gettext_lazy("A shipment with this reference already exists.")
# What full_clean() leaves to the database (see the module's docstring).
WRITE_CLEAN = {"exclude": ["created_by"], "validate_unique": False, "validate_constraints": False}


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
    Shipment(**fields).full_clean(**WRITE_CLEAN)
    with _reference_kept_unique():
        return _shipment_insert(fields)


@transaction.atomic
def _shipment_insert(fields: dict[str, Any]) -> Shipment:
    created_by = fields["created_by"]
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
        shipment.full_clean(exclude=["created_by"])
        with _reference_kept_unique():
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
        shipment = _transition(shipment, to_status=to_status, actor=actor)
    return shipment


@transaction.atomic
def shipment_transition(*, shipment: Shipment, to_status: str, actor: User | None) -> Shipment:
    """Move the shipment to `to_status` if its status machine allows it, and record the event.

    The row lock makes concurrent changes of one shipment take turns, so two cannot both pass.
    `shipment` may be a reference holding only its pk: the row is read here, under the lock.
    """
    return _transition(
        Shipment.objects.select_for_update().get(pk=shipment.pk), to_status=to_status, actor=actor
    )


def _transition(shipment: Shipment, *, to_status: str, actor: User | None) -> Shipment:
    """The transition of a shipment whose row this transaction has locked."""
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
def _reference_kept_unique() -> Iterator[None]:
    """A taken reference (the unique index refused the write, whose transaction is rolled back by
    then) becomes the field error; any other IntegrityError stays what it is."""
    try:
        yield
    except IntegrityError as error:
        if not unique_violated(error, Shipment):
            raise
        raise ValidationError({"reference": [DUPLICATE_REFERENCE]}) from error

"""Writes of shipments: create, edit, move through the status machine, delete."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from loginexus.accounts.models import User
from loginexus.transitions import ensure_transition
from shipments.exceptions import ShipmentLocked
from shipments.models import SHIPMENT_TRANSITIONS, Shipment, ShipmentEvent

EDITABLE_FIELDS = (
    "reference",
    "origin",
    "destination",
    "carrier",
    "weight_kg",
    "expected_delivery",
)


DUPLICATE_REFERENCE = "A shipment with this reference already exists."


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
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(**fields)
    except IntegrityError as error:
        # A concurrent create took the reference between our check and our insert.
        raise ValidationError({"reference": [DUPLICATE_REFERENCE]}) from error
    ShipmentEvent.objects.create(
        shipment=shipment, actor=created_by, from_status="", to_status=shipment.status
    )
    return shipment


@transaction.atomic
def shipment_update(*, shipment: Shipment, **changes) -> Shipment:
    """Correct a shipment's details; only while it is draft or booked."""
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    if not shipment.is_editable:
        raise ShipmentLocked(
            f"A shipment that is {shipment.status} can no longer be edited; "
            "only draft and booked shipments can."
        )
    for name, value in changes.items():
        setattr(shipment, name, value)
    shipment.full_clean()
    shipment.save()
    return shipment


@transaction.atomic
def shipment_transition(*, shipment: Shipment, to_status: str, actor: User | None) -> Shipment:
    """Move the shipment to `to_status` if its status machine allows it, and record the event.

    The row lock makes concurrent changes of one shipment take turns, so two cannot both pass.
    """
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    ensure_transition(
        table=SHIPMENT_TRANSITIONS, noun="shipment", current=shipment.status, target=to_status
    )
    ShipmentEvent.objects.create(
        shipment=shipment, actor=actor, from_status=shipment.status, to_status=to_status
    )
    shipment.status = to_status
    shipment.save(update_fields=["status", "updated_at"])
    return shipment


@transaction.atomic
def shipment_delete(*, shipment: Shipment) -> None:
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if not shipment.is_deletable:
        raise ShipmentLocked(
            f"A shipment that is {shipment.status} cannot be deleted; "
            "only draft and cancelled shipments can."
        )
    if shipment.escrows.exists():
        raise ShipmentLocked("This shipment secures escrows; it cannot be deleted.")
    shipment.delete()

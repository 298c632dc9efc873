"""Writes of escrows: open one for a shipment, and move it through its status machine."""

from decimal import Decimal

from django.db import transaction

from escrows.exceptions import ShipmentNotDelivered
from escrows.models import ESCROW_TRANSITIONS, Escrow, EscrowEvent, EscrowStatus
from loginexus.accounts.models import User
from loginexus.transitions import ensure_transition
from shipments.models import Shipment, ShipmentStatus


@transaction.atomic
def escrow_create(
    *,
    shipment: Shipment,
    buyer: str,
    seller: str,
    amount: Decimal,
    currency: str,
    created_by: User | None = None,
) -> Escrow:
    fields = {
        "shipment": shipment,
        "buyer": buyer,
        "seller": seller,
        "amount": amount,
        "currency": currency.upper(),
        "created_by": created_by,
    }
    Escrow(**fields).full_clean()
    escrow = Escrow.objects.create(**fields)
    EscrowEvent.objects.create(
        escrow=escrow, actor=created_by, from_status="", to_status=escrow.status
    )
    return escrow


@transaction.atomic
def escrow_transition(*, escrow: Escrow, to_status: str, actor: User | None) -> Escrow:
    """Move the escrow to `to_status` if legal; releasing needs the shipment delivered.

    The escrow's and the shipment's rows are locked, so a shipment cannot change under a release.
    """
    escrow = Escrow.objects.select_for_update().get(pk=escrow.pk)
    ensure_transition(
        table=ESCROW_TRANSITIONS, noun="escrow", current=escrow.status, target=to_status
    )
    if to_status == EscrowStatus.RELEASED:
        shipment = Shipment.objects.select_for_update().get(pk=escrow.shipment_id)
        if shipment.status != ShipmentStatus.DELIVERED:
            raise ShipmentNotDelivered(
                f"Shipment {shipment.reference} is {shipment.status}; an escrow is released "
                "only once its shipment is delivered."
            )
    EscrowEvent.objects.create(
        escrow=escrow, actor=actor, from_status=escrow.status, to_status=to_status
    )
    escrow.status = to_status
    escrow.save(update_fields=["status", "updated_at"])
    return escrow

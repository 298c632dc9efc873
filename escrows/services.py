"""Writes of escrows: open one for a shipment, and move it through its status machine.

`escrow_create` is the one way an escrow is made (pages, API, tests): it validates, then inserts
through `Escrow.objects.create`, whose `save()` counts the escrow against the plan
(billing.limits), and records the first event. Amounts are Decimal from the parsers down.

As in shipments.services, full_clean() leaves to the database what it guards itself (the foreign
keys, the check constraints mirrored by the fields' validators and choices), and the shipment is
read once, under the lock the write needs.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from escrows.exceptions import ShipmentNotDelivered
from escrows.models import (
    ESCROW_TRANSITIONS,
    Escrow,
    EscrowEvent,
    EscrowStatus,
    escrow_targets,
)
from escrows.signals import escrow_created, escrow_status_changed
from loginexus.accounts.models import User
from loginexus.audit.services import audit_changes, audit_record
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
    """Open an escrow for a shipment that is not cancelled (its row is locked, so it cannot be
    cancelled meanwhile). `shipment` may be a reference holding only its pk (from the API)."""
    try:
        shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    except Shipment.DoesNotExist as error:
        message = gettext("There is no shipment %(id)s in this workspace.")
        raise ValidationError({"shipment": [message % {"id": shipment.pk}]}) from error
    if shipment.status == ShipmentStatus.CANCELLED:
        message = gettext("Shipment %(reference)s is cancelled; it secures nothing.")
        raise ValidationError({"shipment": [message % {"reference": shipment.reference}]})
    fields = {
        "shipment": shipment,
        "buyer": buyer,
        "seller": seller,
        "amount": amount,
        "currency": currency.upper(),
        "created_by": created_by,
    }
    Escrow(**fields).full_clean(exclude=["shipment", "created_by"], validate_constraints=False)
    escrow = Escrow.objects.create(**fields)
    EscrowEvent.objects.create(
        escrow=escrow, actor=created_by, from_status="", to_status=escrow.status
    )
    audit_record(
        action="escrow.created",
        object_type="escrow",
        object_id=escrow.pk,
        changes=audit_changes(
            {}, {**fields, "shipment": shipment.pk, "created_by": None, "status": escrow.status}
        ),
    )
    escrow_created.send(sender=Escrow, escrow=escrow)
    return escrow


@transaction.atomic
def escrow_transition(*, escrow: Escrow, to_status: str, actor: User | None) -> Escrow:
    """Move the escrow to `to_status` if legal now, and record the event.

    The escrow's and its shipment's rows are locked: concurrent changes of one escrow take
    turns, and the shipment cannot change under a release. Both are read and locked in one
    statement; `escrow` may be a reference holding only its pk.
    """
    escrow = Escrow.objects.select_related("shipment").select_for_update().get(pk=escrow.pk)
    shipment = escrow.shipment
    legal_now = escrow_targets(current=escrow.status, shipment_status=shipment.status)
    if to_status in ESCROW_TRANSITIONS[escrow.status] and to_status not in legal_now:
        message = gettext(
            "Shipment %(reference)s has status “%(status)s”; "
            "an escrow is released only once its shipment is delivered."
        )
        raise ShipmentNotDelivered(
            message % {"reference": shipment.reference, "status": shipment.get_status_display()},
            extra={"current": escrow.status, "requested": to_status, "allowed": list(legal_now)},
        )
    ensure_transition(
        table={escrow.status: legal_now},
        current=escrow.status,
        target=to_status,
        label=lambda status: EscrowStatus(status).label,
        can_only_become=gettext("This escrow is %(current)s; it can only become: %(allowed)s."),
        cannot_change=gettext("This escrow is %(current)s; its status cannot change any more."),
    )
    EscrowEvent.objects.create(
        escrow=escrow, actor=actor, from_status=escrow.status, to_status=to_status
    )
    audit_record(
        action="escrow.status_changed",
        object_type="escrow",
        object_id=escrow.pk,
        changes={"status": [escrow.status, to_status]},
    )
    from_status, escrow.status = escrow.status, to_status
    escrow.save(update_fields=["status", "updated_at"])
    escrow_status_changed.send(sender=Escrow, escrow=escrow, from_status=from_status)
    return escrow

"""The seam between the shipment and escrow services and the outbox: their signals, received in
their transaction, become events with the object as the API shows it."""

from escrows.api import EscrowSerializer
from escrows.signals import escrow_created, escrow_status_changed
from shipments.api import ShipmentSerializer
from shipments.signals import shipment_created, shipment_status_changed
from webhooks.models import EventType
from webhooks.services import webhook_event_record


def _shipment_created(sender, *, shipment, **kwargs) -> None:
    webhook_event_record(type=EventType.SHIPMENT_CREATED, data=ShipmentSerializer(shipment).data)


def _shipment_status_changed(sender, *, shipment, **kwargs) -> None:
    webhook_event_record(
        type=EventType.SHIPMENT_STATUS_CHANGED, data=ShipmentSerializer(shipment).data
    )


def _escrow_created(sender, *, escrow, **kwargs) -> None:
    webhook_event_record(type=EventType.ESCROW_CREATED, data=EscrowSerializer(escrow).data)


def _escrow_status_changed(sender, *, escrow, **kwargs) -> None:
    webhook_event_record(type=EventType.ESCROW_STATUS_CHANGED, data=EscrowSerializer(escrow).data)


def connect() -> None:
    shipment_created.connect(_shipment_created, dispatch_uid="webhooks.shipment_created")
    shipment_status_changed.connect(
        _shipment_status_changed, dispatch_uid="webhooks.shipment_status_changed"
    )
    escrow_created.connect(_escrow_created, dispatch_uid="webhooks.escrow_created")
    escrow_status_changed.connect(
        _escrow_status_changed, dispatch_uid="webhooks.escrow_status_changed"
    )

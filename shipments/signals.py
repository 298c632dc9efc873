"""What happened to a shipment, for apps above this one (outbound webhooks) to act on. Sent by
the services inside their transaction, after the change is saved: a receiver's writes commit or
roll back with the change."""

from django.dispatch import Signal

# Both send `shipment` (the saved row); status_changed also `from_status`.
shipment_created = Signal()
shipment_status_changed = Signal()

"""Reads of shipments that several callers need: the filtered list, one shipment with its
history, and the dashboard's counts."""

from django.db.models import Count, Q, QuerySet

from shipments.models import Shipment, ShipmentStatus


def shipment_list(*, status: str | None = None, search: str | None = None) -> QuerySet[Shipment]:
    """Newest first; what a list row shows lives on the row itself, so no joins are needed."""
    shipments = Shipment.objects.all()
    if status:
        shipments = shipments.filter(status=status)
    if search:
        shipments = shipments.filter(
            Q(reference__icontains=search)
            | Q(origin__icontains=search)
            | Q(destination__icontains=search)
        )
    return shipments


def shipment_detail(*, pk: int) -> Shipment:
    return Shipment.objects.prefetch_related("events__actor", "escrows").get(pk=pk)


def shipment_counts_by_status() -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, in the machine's order, zeros included."""
    counted = dict(Shipment.objects.values_list("status").annotate(n=Count("id")).order_by())
    return [(status, label, counted.get(status, 0)) for status, label in ShipmentStatus.choices]

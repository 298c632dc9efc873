"""Reads of escrows that several callers need."""

from django.db.models import QuerySet

from escrows.models import Escrow


def escrow_list(*, status: str | None = None, shipment_id: int | None = None) -> QuerySet[Escrow]:
    escrows = Escrow.objects.select_related("shipment")
    if status:
        escrows = escrows.filter(status=status)
    if shipment_id:
        escrows = escrows.filter(shipment_id=shipment_id)
    return escrows


def escrow_detail(*, pk: int) -> Escrow:
    return Escrow.objects.select_related("shipment").prefetch_related("events__actor").get(pk=pk)

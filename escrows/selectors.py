"""Reads of escrows that several callers need: the filtered list, one escrow with its history,
and the dashboard's counts."""

from django.db.models import CharField, Count, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat, Greatest, Length, LPad

from escrows.models import REFERENCE_PREFIX, Escrow, EscrowStatus, escrow_pk_of


def escrow_list(
    *, status: str | None = None, shipment: int | None = None, search: str | None = None
) -> QuerySet[Escrow]:
    """Newest first, with the shipment each row names."""
    escrows = Escrow.objects.select_related("shipment")
    if status:
        escrows = escrows.filter(status=status)
    if shipment:
        escrows = escrows.filter(shipment_id=shipment)
    if search:
        matches = (
            Q(buyer__icontains=search)
            | Q(seller__icontains=search)
            | Q(shipment__reference__icontains=search)
        )
        if (pk := escrow_pk_of(search)) is not None:
            matches |= Q(pk=pk)
        escrows = escrows.filter(matches)
    return escrows


def escrow_export_rows(**filters) -> QuerySet[Escrow]:
    """The list's escrows with their reference computed by the database (`escrow_reference`,
    as `Escrow.reference` writes it), for the CSV export."""
    digits = Cast("id", CharField())
    return escrow_list(**filters).annotate(
        escrow_reference=Concat(
            Value(REFERENCE_PREFIX),
            LPad(digits, Greatest(Value(6), Length(digits)), Value("0")),
            output_field=CharField(),
        )
    )


def escrow_detail(*, pk: int) -> Escrow:
    return Escrow.objects.select_related("shipment").prefetch_related("events__actor").get(pk=pk)


def escrow_counts_by_status() -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, in the machine's order, zeros included."""
    counted = dict(Escrow.objects.values_list("status").annotate(n=Count("id")).order_by())
    return [(status, label, counted.get(status, 0)) for status, label in EscrowStatus.choices]

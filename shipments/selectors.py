"""Reads of shipments that several callers need: the filtered list, one shipment with its
history, the dashboard's counts, and where the plan's limit stands for the "New" buttons."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from billing.models import Entitlement
from billing.plans import Resource
from billing.selectors import Usage, usage_get, usage_period
from loginexus.tenancy.models import Tenant
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


@dataclass(frozen=True)
class CreationLimit:
    """Where a periodic resource (shipments, escrows) stands against the plan's limit, for the
    pages that offer to create one: the count, the limit (None: unlimited) and when the count
    starts again."""

    resource: str
    plan_name: str
    used: int
    limit: int | None
    resets_at: datetime

    @property
    def reached(self) -> bool:
        return self.limit is not None and self.used >= self.limit


def creation_limits_get(
    *,
    tenant: Tenant,
    entitlement: Entitlement,
    now: datetime,
    usage: dict[Resource, Usage] | None = None,
) -> dict[str, CreationLimit]:
    """The limits of shipments and escrows, by resource name ("shipments", "escrows"); `usage`
    when the caller has read it already."""
    usage = usage or usage_get(tenant=tenant, entitlement=entitlement, now=now)
    _, period_end = usage_period(entitlement=entitlement, now=now)
    plan_name = entitlement.effective_plan(now).name
    return {
        str(resource): CreationLimit(
            resource=str(resource),
            plan_name=plan_name,
            used=usage[resource].used,
            limit=usage[resource].limit,
            resets_at=period_end,
        )
        for resource in (Resource.SHIPMENTS, Resource.ESCROWS)
    }

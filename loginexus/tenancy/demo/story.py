"""The demo workspace's people, shipments and escrows, made through the same services as the
pages (so histories, audit entries and usage counts are real), then dated across the current
billing period so the pages read like a working fortnight."""

import math
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.plans import Resource
from billing.selectors import entitlement_get, usage_period
from escrows.models import Escrow, EscrowEvent
from escrows.services import escrow_create, escrow_transition
from loginexus.accounts.invitations import invitation_create
from loginexus.accounts.models import Role
from loginexus.accounts.services import email_address_record, user_create
from loginexus.tenancy.models import Tenant
from shipments.models import Shipment, ShipmentEvent
from shipments.services import shipment_create, shipment_transition

TEAM = (
    # (email, name, role): the admin exists already (provisioning made them).
    ("mia.wolf@acme.localhost", "Mia Wolf", Role.MEMBER),
    ("jonas.berg@acme.localhost", "Jonas Berg", Role.MEMBER),
)
PENDING_INVITATION = "lena.hoffmann@acme.localhost"
# Where each shipment ends up, in order: every status, most of them on the move.
SHIPMENT_PATHS = (
    ["booked", "in_transit", "delivered"],
    ["booked", "in_transit", "delivered"],
    ["booked", "in_transit", "delivered"],
    ["booked", "in_transit", "delivered"],
    ["booked", "in_transit", "delivered"],
    ["booked", "in_transit", "delivered"],
    ["booked", "in_transit"],
    ["booked", "in_transit"],
    ["booked", "in_transit"],
    ["booked", "in_transit"],
    ["booked", "in_transit"],
    ["booked"],
    ["booked"],
    ["booked"],
    ["booked"],
    [],
    [],
    [],
    ["booked", "cancelled"],
    ["cancelled"],
)
LANES = (
    ("Hamburg, DE", "Rotterdam, NL", "Maersk"),
    ("Bremen, DE", "Antwerp, BE", "Hapag-Lloyd"),
    ("Munich, DE", "Milan, IT", "DB Schenker"),
    ("Frankfurt, DE", "Chicago, US", "Lufthansa Cargo"),
    ("Duisburg, DE", "Xi'an, CN", "DB Cargo"),
    ("Leipzig, DE", "Warsaw, PL", "DHL Freight"),
    ("Stuttgart, DE", "Lyon, FR", "Kuehne+Nagel"),
    ("Cologne, DE", "Felixstowe, GB", "DSV"),
    ("Berlin, DE", "Prague, CZ", "Dachser"),
    ("Nuremberg, DE", "Vienna, AT", "Raben"),
)
PARTIES = (
    ("Nordlicht Handels GmbH", "Acme Logistics"),
    ("Brightwater Foods Ltd", "Acme Logistics"),
    ("Veloce Ricambi S.p.A.", "Acme Logistics"),
    ("Acme Logistics", "Baltic Timber AB"),
    ("Meridian Retail Inc.", "Acme Logistics"),
)
CURRENCIES = ("EUR", "EUR", "EUR", "USD", "GBP")


def _escrow_path(shipment_status: str, k: int) -> list[str]:
    """The actions of the k-th escrow of a shipment with this status."""
    if shipment_status == "delivered":
        return ["fund", "refund"] if k == 2 else ["fund", "release"]
    if shipment_status == "in_transit":
        return ["fund", "dispute"] if k == 1 else ["fund"]
    if shipment_status == "booked":
        return ["fund"] if k % 2 else []
    return []


ACTION_STATUS = {
    "fund": "funded",
    "release": "released",
    "refund": "refunded",
    "dispute": "disputed",
}
MEMBER_PASSWORD = "demo-member-password"  # noqa: S105 (a demo login, printed by make run)
WEIGHTS = (480, 1250, 2600, 7800, 18000, 12.5)


def demo_story_seed(*, tenant: Tenant, escrow_share: float = 0.82) -> bool:
    """Tell the story once: False when the workspace has shipments already (make run keeps
    what is there). Escrows fill `escrow_share` of the plan's escrow limit, so the usage warning
    shows (at most 200)."""
    with schema_context(tenant.schema_name), transaction.atomic():
        if Shipment.objects.exists():
            return False
        admin = get_user_model().objects.filter(role=Role.ADMIN).order_by("pk").first()
        plan = entitlement_get(tenant=tenant).effective_plan(timezone.now())
        seats = plan.limit(Resource.USERS)
        # The admin, the members and the invitation each take a seat (Free has 3).
        _team(admin, TEAM if seats is None else TEAM[: max(0, seats - 2)])
        shipments = _shipments(admin)
        limit = plan.limit(Resource.ESCROWS)
        wanted = min(200, math.ceil((limit or 200) * escrow_share))
        _escrows(admin, shipments, wanted)
        _dated(tenant)
    return True


def _team(admin, team) -> None:
    for email, name, role in team:
        person = user_create(
            email=email, password=f"demo-{email.split('.')[0]}-password", role=role
        )
        person.name = name
        person.save(update_fields=["name"])
        email_address_record(user=person, verified=True)
    admin.name = admin.name or "Alex Admin"
    admin.save(update_fields=["name"])
    invitation_create(email=PENDING_INVITATION, role=Role.MEMBER, invited_by=admin)


def _shipments(admin) -> list[Shipment]:
    made = []
    today = timezone.localdate()
    for number, path in enumerate(SHIPMENT_PATHS, start=1):
        origin, destination, carrier = LANES[number % len(LANES)]
        shipment = shipment_create(
            reference=f"ACME-{2400 + number}",
            origin=origin,
            destination=destination,
            carrier=carrier,
            weight_kg=Decimal(str(WEIGHTS[number * 7 % len(WEIGHTS)])),
            expected_delivery=today + timedelta(days=number % 9 + 2),
            created_by=admin,
        )
        for status in path:
            if status == "cancelled" and path[:1] == ["booked"]:
                continue  # the escrow step cancels it, after its refund
            shipment = shipment_transition(shipment=shipment, to_status=status, actor=admin)
        made.append(shipment)
    return made


def _escrows(admin, shipments: list[Shipment], wanted: int) -> None:
    # The shipment booked then cancelled secured one escrow, refunded before it was cancelled.
    booked_then_cancelled = next(
        s
        for s, path in zip(shipments, SHIPMENT_PATHS, strict=True)
        if path == ["booked", "cancelled"]
    )
    refunded = _escrow(admin, booked_then_cancelled, 0)
    for action in ("fund", "refund"):
        refunded = escrow_transition(escrow=refunded, to_status=ACTION_STATUS[action], actor=admin)
    shipment_transition(shipment=booked_then_cancelled, to_status="cancelled", actor=admin)
    open_for = [s for s in shipments if s.status != "cancelled" and s != booked_then_cancelled]
    for n in range(wanted - 1):
        shipment = open_for[n % len(open_for)]
        escrow = _escrow(admin, shipment, n)
        for action in _escrow_path(shipment.status, n // len(open_for)):
            escrow = escrow_transition(escrow=escrow, to_status=ACTION_STATUS[action], actor=admin)


def _escrow(admin, shipment: Shipment, n: int) -> Escrow:
    buyer, seller = PARTIES[n % len(PARTIES)]
    amount = Decimal(1200 + (n * 7919) % 46000).quantize(Decimal("1")) + Decimal("0.50") * (n % 2)
    return escrow_create(
        shipment=shipment,
        buyer=buyer,
        seller=seller,
        amount=amount,
        currency=CURRENCIES[n % len(CURRENCIES)],
        created_by=admin,
    )


def _dated(tenant: Tenant) -> None:
    """Spread the story over the current billing period: each shipment made on its own day,
    each change some hours after the one before, nothing in the future."""
    now = timezone.now()
    start, _end = usage_period(entitlement=entitlement_get(tenant=tenant), now=now)
    span = max(now - start - timedelta(hours=2), timedelta(hours=6))
    shipments = list(Shipment.objects.order_by("pk"))
    for index, shipment in enumerate(shipments):
        made = start + timedelta(hours=1) + span * (index / max(len(shipments), 1)) * 0.7
        _date_history(ShipmentEvent.objects.filter(shipment=shipment), made, now)
        Shipment.objects.filter(pk=shipment.pk).update(created_at=made, updated_at=made)
        for escrow in Escrow.objects.filter(shipment=shipment).order_by("pk"):
            opened = made + timedelta(minutes=30 + escrow.pk % 300)
            _date_history(EscrowEvent.objects.filter(escrow=escrow), opened, now)
            Escrow.objects.filter(pk=escrow.pk).update(created_at=opened, updated_at=opened)


def _date_history(events, first: datetime, now: datetime) -> None:
    for step, event in enumerate(events.order_by("pk")):
        when = min(first + timedelta(hours=7 * step, minutes=13 * step), now - timedelta(minutes=1))
        type(event).objects.filter(pk=event.pk).update(created_at=when)

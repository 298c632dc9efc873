"""The status machines of shipments and escrows: every legal move, every illegal one, each change
recorded with who, when, from and to."""

import itertools

import pytest
from django_tenants.utils import schema_context

from escrows.exceptions import ShipmentNotDelivered
from escrows.models import ESCROW_TRANSITIONS, EscrowEvent, EscrowStatus
from escrows.services import escrow_transition
from loginexus.exceptions import IllegalTransition
from shipments.models import SHIPMENT_TRANSITIONS, ShipmentEvent, ShipmentStatus
from shipments.services import shipment_transition
from tests.conftest import admin_of, make_escrow, make_shipment

pytestmark = pytest.mark.django_db

SHIPMENT_PAIRS = list(itertools.product(ShipmentStatus.values, repeat=2))
ESCROW_PAIRS = list(itertools.product(EscrowStatus.values, repeat=2))


def escrow_in(tenant, status: str, *, shipment_status: str = "delivered"):
    """An escrow walked to `status` (released needs a delivered shipment on the way)."""
    shipment = make_shipment(tenant, status=shipment_status)
    if status != "released":
        return make_escrow(tenant, shipment=shipment, status=status)
    escrow = make_escrow(tenant, shipment=shipment, status="funded")
    with schema_context(tenant.schema_name):
        return escrow_transition(escrow=escrow, to_status="released", actor=None)


@pytest.mark.parametrize(("current", "target"), SHIPMENT_PAIRS)
def test_shipment_moves_only_along_its_transition_table(tenant_a, current, target):
    shipment = make_shipment(tenant_a, status=current)
    actor = admin_of(tenant_a)
    with schema_context(tenant_a.schema_name):
        events_before = ShipmentEvent.objects.filter(shipment=shipment).count()
        if target in SHIPMENT_TRANSITIONS[current]:
            moved = shipment_transition(shipment=shipment, to_status=target, actor=actor)
            assert moved.status == target
            last = moved.events.last()
            assert (last.from_status, last.to_status, last.actor) == (current, target, actor)
            assert last.created_at is not None
        else:
            with pytest.raises(IllegalTransition) as refused:
                shipment_transition(shipment=shipment, to_status=target, actor=actor)
            assert (refused.value.status, refused.value.code) == (409, "illegal_transition")
            assert refused.value.extra["allowed"] == list(SHIPMENT_TRANSITIONS[current])
            shipment.refresh_from_db()
            assert shipment.status == current
            assert ShipmentEvent.objects.filter(shipment=shipment).count() == events_before


@pytest.mark.parametrize(
    ("current", "message"),
    [
        ("draft", "This shipment is Draft; it can only become: Booked, Cancelled."),
        ("in_transit", "This shipment is In transit; it can only become: Delivered, Cancelled."),
        ("delivered", "This shipment is Delivered; its status cannot change any more."),
    ],
)
def test_illegal_shipment_transition_message_names_the_allowed_ones(tenant_a, current, message):
    shipment = make_shipment(tenant_a, status=current)
    with schema_context(tenant_a.schema_name), pytest.raises(IllegalTransition) as refused:
        shipment_transition(shipment=shipment, to_status="draft", actor=None)
    assert refused.value.message == message


@pytest.mark.parametrize(("current", "target"), ESCROW_PAIRS)
def test_escrow_moves_only_along_its_transition_table(tenant_a, current, target):
    escrow = escrow_in(tenant_a, current)
    actor = admin_of(tenant_a)
    with schema_context(tenant_a.schema_name):
        events_before = EscrowEvent.objects.filter(escrow=escrow).count()
        if target in ESCROW_TRANSITIONS[current]:
            moved = escrow_transition(escrow=escrow, to_status=target, actor=actor)
            assert moved.status == target
            last = moved.events.last()
            assert (last.from_status, last.to_status, last.actor) == (current, target, actor)
        else:
            with pytest.raises(IllegalTransition) as refused:
                escrow_transition(escrow=escrow, to_status=target, actor=actor)
            assert refused.value.extra["allowed"] == list(ESCROW_TRANSITIONS[current])
            escrow.refresh_from_db()
            assert escrow.status == current
            assert EscrowEvent.objects.filter(escrow=escrow).count() == events_before


@pytest.mark.parametrize("escrow_status", ["funded", "disputed"])
@pytest.mark.parametrize("shipment_status", ["draft", "booked", "in_transit", "cancelled"])
def test_release_requires_the_shipment_delivered(tenant_a, escrow_status, shipment_status):
    # An escrow cannot be opened for a cancelled shipment: cancel it after the escrow is funded.
    opened_on = "draft" if shipment_status == "cancelled" else shipment_status
    shipment = make_shipment(tenant_a, status=opened_on)
    escrow = make_escrow(tenant_a, shipment=shipment, status=escrow_status)
    with schema_context(tenant_a.schema_name):
        if shipment_status == "cancelled":
            shipment_transition(shipment=shipment, to_status="cancelled", actor=None)
        with pytest.raises(ShipmentNotDelivered) as refused:
            escrow_transition(escrow=escrow, to_status="released", actor=None)
        assert (refused.value.status, refused.value.code) == (409, "shipment_not_delivered")
        assert "released only once its shipment is delivered" in refused.value.message
        assert "released" not in refused.value.extra["allowed"]
        escrow.refresh_from_db()
        assert escrow.status == escrow_status


def test_delivery_of_the_shipment_makes_a_funded_escrow_releasable(tenant_a):
    escrow = escrow_in(tenant_a, "funded", shipment_status="in_transit")
    with schema_context(tenant_a.schema_name):
        assert escrow.allowed_actions == ["refund", "dispute"]
        shipment_transition(shipment=escrow.shipment, to_status="delivered", actor=None)
        escrow.refresh_from_db()
        assert escrow.allowed_actions == ["release", "refund", "dispute"]
        assert escrow_transition(escrow=escrow, to_status="released", actor=None).status == (
            "released"
        )


def test_every_change_is_recorded_in_order(tenant_a):
    shipment = make_shipment(tenant_a, status="delivered")
    escrow = escrow_in(tenant_a, "refunded")
    with schema_context(tenant_a.schema_name):
        shipment_history = [(e.from_status, e.to_status) for e in shipment.events.all()]
        escrow_history = [(e.from_status, e.to_status) for e in escrow.events.all()]
    assert shipment_history == [
        ("", "draft"),
        ("draft", "booked"),
        ("booked", "in_transit"),
        ("in_transit", "delivered"),
    ]
    assert escrow_history == [("", "open"), ("open", "funded"), ("funded", "refunded")]

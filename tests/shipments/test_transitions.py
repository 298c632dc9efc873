"""The status machines of shipments and escrows: every legal move, every illegal one."""

import itertools

import pytest
from django_tenants.utils import schema_context

from escrows.exceptions import ShipmentNotDelivered
from escrows.models import ESCROW_TRANSITIONS, EscrowStatus
from escrows.services import escrow_transition
from loginexus.exceptions import IllegalTransition
from shipments.models import SHIPMENT_TRANSITIONS, ShipmentStatus
from shipments.services import shipment_transition
from tests.conftest import admin_of, make_escrow, make_shipment

pytestmark = pytest.mark.django_db

SHIPMENT_PAIRS = list(itertools.product(ShipmentStatus.values, repeat=2))
ESCROW_PAIRS = list(
    itertools.product(["open", "funded", "disputed", "refunded"], EscrowStatus.values)
)


@pytest.mark.parametrize(("current", "target"), SHIPMENT_PAIRS)
def test_shipment_moves_only_along_its_transition_table(tenant_a, current, target):
    shipment = make_shipment(tenant_a, status=current)
    actor = admin_of(tenant_a)
    with schema_context(tenant_a.schema_name):
        if target in SHIPMENT_TRANSITIONS[current]:
            moved = shipment_transition(shipment=shipment, to_status=target, actor=actor)
            assert moved.status == target
            last = moved.events.last()
            assert (last.from_status, last.to_status, last.actor) == (current, target, actor)
        else:
            with pytest.raises(IllegalTransition) as refused:
                shipment_transition(shipment=shipment, to_status=target, actor=actor)
            assert refused.value.status == 409
            assert refused.value.extra["allowed"] == list(SHIPMENT_TRANSITIONS[current])
            shipment.refresh_from_db()
            assert shipment.status == current


def test_illegal_shipment_transition_message_names_the_allowed_ones(tenant_a):
    shipment = make_shipment(tenant_a)
    with schema_context(tenant_a.schema_name), pytest.raises(IllegalTransition) as refused:
        shipment_transition(shipment=shipment, to_status="delivered", actor=None)
    assert refused.value.message == "A shipment that is draft can only become: booked, cancelled."


@pytest.mark.parametrize(("current", "target"), ESCROW_PAIRS)
def test_escrow_moves_only_along_its_transition_table(tenant_a, current, target):
    shipment = make_shipment(tenant_a, status="delivered")
    escrow = make_escrow(tenant_a, shipment=shipment, status=current)
    with schema_context(tenant_a.schema_name):
        if target in ESCROW_TRANSITIONS[current]:
            assert escrow_transition(escrow=escrow, to_status=target, actor=None).status == target
        else:
            with pytest.raises(IllegalTransition):
                escrow_transition(escrow=escrow, to_status=target, actor=None)


@pytest.mark.parametrize("escrow_status", ["funded", "disputed"])
def test_release_requires_the_shipment_delivered(tenant_a, escrow_status):
    escrow = make_escrow(
        tenant_a, shipment=make_shipment(tenant_a, status="in_transit"), status=escrow_status
    )
    with schema_context(tenant_a.schema_name):
        with pytest.raises(ShipmentNotDelivered) as refused:
            escrow_transition(escrow=escrow, to_status="released", actor=None)
        assert refused.value.status == 409
        escrow.refresh_from_db()
        assert escrow.status == escrow_status


def test_every_change_is_recorded_with_who_and_when(tenant_a):
    shipment = make_shipment(tenant_a, status="delivered")
    with schema_context(tenant_a.schema_name):
        history = [(e.from_status, e.to_status) for e in shipment.events.all()]
        assert all(e.created_at for e in shipment.events.all())
    assert history == [
        ("", "draft"),
        ("draft", "booked"),
        ("booked", "in_transit"),
        ("in_transit", "delivered"),
    ]

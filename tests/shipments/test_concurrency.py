"""Concurrent writers on real PostgreSQL connections: one status change wins, one reference."""

import threading
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import connections
from django_tenants.utils import schema_context

from escrows.models import Escrow, EscrowEvent
from escrows.services import escrow_create, escrow_transition
from loginexus.exceptions import IllegalTransition
from shipments.models import Shipment, ShipmentEvent
from shipments.services import shipment_create, shipment_transition

WRITERS = 12


def race(tenant, attempts: list[Callable[[], object]]) -> list[str]:
    """Run every attempt in its own thread and connection at once; what each one met."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(attempt) -> None:
        try:
            barrier.wait()
            with schema_context(tenant.schema_name):
                attempt()
            outcome = "passed"
        except (IllegalTransition, ValidationError) as refusal:
            outcome = type(refusal).__name__
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def new_shipment(reference: str, *steps: str) -> Shipment:
    shipment = shipment_create(
        reference=reference, origin="A", destination="B", carrier="C", weight_kg="1"
    )
    for step in steps:
        shipment = shipment_transition(shipment=shipment, to_status=step, actor=None)
    return shipment


def test_concurrent_final_transitions_of_one_shipment_let_one_pass(committed_tenant):
    with schema_context(committed_tenant.schema_name):
        shipment = new_shipment("RACE-S", "booked", "in_transit")
    targets = ["delivered", "cancelled"] * (WRITERS // 2)
    outcomes = race(
        committed_tenant,
        [
            lambda target=target: shipment_transition(
                shipment=shipment, to_status=target, actor=None
            )
            for target in targets
        ],
    )
    assert sorted(outcomes) == ["IllegalTransition"] * (WRITERS - 1) + ["passed"]
    with schema_context(committed_tenant.schema_name):
        final = ShipmentEvent.objects.filter(shipment=shipment, from_status="in_transit")
        assert final.count() == 1
        assert Shipment.objects.get(pk=shipment.pk).status == final.get().to_status


def test_concurrent_release_and_refund_of_one_escrow_let_one_pass(committed_tenant):
    with schema_context(committed_tenant.schema_name):
        shipment = new_shipment("RACE-E", "booked", "in_transit", "delivered")
        escrow = escrow_create(
            shipment=shipment, buyer="B", seller="S", amount="10.00", currency="EUR"
        )
        escrow = escrow_transition(escrow=escrow, to_status="funded", actor=None)
    targets = ["released", "refunded"] * (WRITERS // 2)
    outcomes = race(
        committed_tenant,
        [
            lambda target=target: escrow_transition(escrow=escrow, to_status=target, actor=None)
            for target in targets
        ],
    )
    assert sorted(outcomes) == ["IllegalTransition"] * (WRITERS - 1) + ["passed"]
    with schema_context(committed_tenant.schema_name):
        assert EscrowEvent.objects.filter(escrow=escrow, from_status="funded").count() == 1
        assert Escrow.objects.get(pk=escrow.pk).status in {"released", "refunded"}


def test_concurrent_creators_of_one_reference_get_a_field_error_not_a_crash(committed_tenant):
    outcomes = race(committed_tenant, [lambda: new_shipment("SAME-REF")] * WRITERS)
    assert sorted(outcomes) == ["ValidationError"] * (WRITERS - 1) + ["passed"]
    with schema_context(committed_tenant.schema_name):
        assert Shipment.objects.filter(reference="SAME-REF").count() == 1

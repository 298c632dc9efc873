"""32 concurrent creators on real PostgreSQL connections against a Free tenant's escrow limit."""

import threading

import pytest
from django.db import connections
from django_tenants.utils import schema_context

from billing.exceptions import PlanLimitExceeded
from billing.models import UsageCounter
from escrows.models import Escrow
from escrows.services import escrow_create
from shipments.services import shipment_create

CREATORS = 32


def escrow_for(shipment):
    return escrow_create(shipment=shipment, buyer="B", seller="S", amount="1.00", currency="EUR")


@pytest.mark.parametrize("before", [0, 3], ids=["first-of-the-period", "counter-exists"])
def test_concurrent_creators_at_the_boundary_never_pass_the_limit(committed_tenant, before):
    """Both ways a create is counted race: opening the period's counter, and adding to it."""
    with schema_context(committed_tenant.schema_name):
        shipment = shipment_create(
            reference="RACE", origin="A", destination="B", carrier="C", weight_kg="1"
        )
        for _ in range(before):
            escrow_for(shipment)
    barrier = threading.Barrier(CREATORS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def create() -> None:
        try:
            barrier.wait()
            with schema_context(committed_tenant.schema_name):
                escrow_for(shipment)
            outcome = "created"
        except PlanLimitExceeded:
            outcome = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=create) for _ in range(CREATORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes.count("created") == 5 - before
    assert outcomes.count("refused") == CREATORS - (5 - before)
    with schema_context(committed_tenant.schema_name):
        rows = Escrow.objects.count()
    counter = UsageCounter.objects.get(tenant=committed_tenant, resource="escrows")
    assert rows == counter.used == 5

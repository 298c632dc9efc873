"""32 concurrent creators on real PostgreSQL connections at a Pro tenant's limit plus its cap."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.exceptions import PlanLimitExceeded
from billing.models import Entitlement, UsageCounter
from billing.overage.models import OverageEvent
from shipments.models import Shipment
from shipments.services import shipment_create

CREATORS = 32
PRO_LIMIT = 2000
CAP = 8


@pytest.mark.parametrize("below", [0, 8], ids=["at-the-limit", "eight-below-the-limit"])
def test_concurrent_creators_never_pass_the_limit_plus_the_cap(committed_tenant, below):
    now = timezone.now()
    Entitlement.objects.create(
        tenant=committed_tenant, subscribed_plan="pro", status="active", interval="month",
        period_start=now - timedelta(days=3), period_end=now + timedelta(days=27),
        stripe_customer_id="cus_race", stripe_subscription_id="sub_race",
        overage_enabled=True, overage_cap=CAP,
    )  # fmt: skip
    with schema_context(committed_tenant.schema_name):
        Shipment.objects.bulk_create(
            Shipment(reference=f"F{n}", origin="A", destination="B", carrier="C", weight_kg=1)
            for n in range(PRO_LIMIT - below)
        )
    barrier = threading.Barrier(CREATORS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def create(number: int) -> None:
        try:
            barrier.wait()
            with schema_context(committed_tenant.schema_name):
                shipment_create(
                    reference=f"RACE-{number}", origin="A", destination="B", carrier="C",
                    weight_kg="1",
                )  # fmt: skip
            outcome = "created"
        except PlanLimitExceeded:
            outcome = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(CREATORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes.count("created") == below + CAP
    assert outcomes.count("refused") == CREATORS - below - CAP
    with schema_context(committed_tenant.schema_name):
        rows = Shipment.objects.count()
        racing = Shipment.objects.filter(reference__startswith="RACE-")
        racers = set(racing.values_list("pk", flat=True))
    counter = UsageCounter.objects.get(tenant=committed_tenant, resource="shipments")
    assert rows == counter.used == PRO_LIMIT + CAP
    reported = set(
        OverageEvent.objects.filter(tenant=committed_tenant).values_list("shipment_id", flat=True)
    )
    assert len(reported) == CAP and reported <= racers

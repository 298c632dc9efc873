"""Plan limits: what enforcement costs per create, and whether concurrency can pass a limit.

In one run, on one fresh database (built from the models, as the test suite builds it): (a) N
shipments created through the enforcing model path and N through a plain insert of the same model,
(b) the same through the REST API (Django's test client) with and without enforcement, (c) 32
concurrent creators at a Free tenant's escrow limit, (d) N shipments of a Pro tenant past its limit
with overage on (each counted as overage and written to the outbox) and N plain inserts.
BENCH_LIMIT_CREATES (default 300) sets N.
"""

import json
import os
import statistics
import threading

from _broker import purge_queued_tasks_at_exit
from _database import use_fresh_database

N = int(os.environ.get("BENCH_LIMIT_CREATES", "300"))

use_fresh_database("bench_limits")
purge_queued_tasks_at_exit()

from _creates import ms, new_shipment, orm_creates, paired, reserve_checks  # noqa: E402
from _tenants import bench_tenant  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from billing.exceptions import PlanLimitExceeded  # noqa: E402
from billing.models import Entitlement, UsageCounter  # noqa: E402
from billing.overage.models import OverageEvent  # noqa: E402
from billing.plans import PRO, Resource  # noqa: E402
from escrows.models import Escrow  # noqa: E402
from escrows.services import escrow_create  # noqa: E402
from loginexus.tenancy.services import public_tenant_ensure  # noqa: E402
from shipments.models import Shipment  # noqa: E402


def api_creates(tenant) -> tuple[list[float], list[float]]:
    """API creates through the test client, with and without enforcement."""
    client = Client(HTTP_HOST=f"{tenant.slug}.localhost")
    with tenant_context(tenant):
        client.force_login(get_user_model().objects.get())
    body = {"origin": "A", "destination": "B", "carrier": "C", "weight_kg": "1"}

    def create(reference: str) -> None:
        response = client.post(
            "/api/v1/shipments/",
            json.dumps({**body, "reference": reference}),
            content_type="application/json",
        )
        assert response.status_code == 201, response.content

    times = paired(lambda number: create(f"AE{number}"), lambda number: create(f"AP{number}"), N)
    connection.set_schema_to_public()
    return times


def concurrent_creators(tenant) -> tuple[int, int, int]:
    with tenant_context(tenant):
        shipment = Shipment.objects.create(
            reference="RACE", origin="A", destination="B", carrier="C", weight_kg=1
        )
    barrier = threading.Barrier(32)
    outcomes = []

    def create():
        barrier.wait()
        try:
            with tenant_context(tenant):
                escrow_create(
                    shipment=shipment, buyer="B", seller="S", amount="1.00", currency="EUR"
                )
            outcomes.append("created")
        except PlanLimitExceeded:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with tenant_context(tenant):
        rows = Escrow.objects.count()
    return outcomes.count("created"), outcomes.count("refused"), max(0, rows - 5)


def overage_creates(tenant) -> tuple[list[float], list[float]]:
    """Creates past a Pro tenant's limit, each counted as overage, against plain inserts."""
    Entitlement.objects.filter(tenant=tenant).update(overage_enabled=True, overage_cap=100_000)
    with tenant_context(tenant):
        Shipment.objects.bulk_create(
            new_shipment(f"F{number}") for number in range(PRO.limit(Resource.SHIPMENTS))
        )
        times = paired(
            lambda number: new_shipment(f"O{number}").save(),
            lambda number: new_shipment(f"Q{number}").save(),
            N,
        )
    connection.set_schema_to_public()
    assert OverageEvent.objects.filter(tenant=tenant).count() == N
    return times


def report(name: str, enforced: list[float], plain: list[float], goal: str) -> None:
    ratio = statistics.median(enforced) / statistics.median(plain)
    print(f"  {name}, enforced / plain:  {ms(enforced):.3f} / {ms(plain):.3f} ms, ratio {ratio:.2f}"
          f" (goal <= {goal}); enforcement adds {ms(enforced) - ms(plain):.3f} ms")  # fmt: skip


def main() -> None:
    with open(os.devnull, "w") as quiet:
        call_command("migrate_schemas", interactive=False, verbosity=0, stdout=quiet)
    public_tenant_ensure()
    enterprise = bench_tenant("bench-orm", plan="enterprise")
    enforced, plain = orm_creates(enterprise, N)
    checks = reserve_checks(enterprise, N)
    api_enforced, api_plain = api_creates(bench_tenant("bench-api", plan="enterprise"))
    created, refused, over = concurrent_creators(bench_tenant("bench-race"))
    overage, overage_plain = overage_creates(bench_tenant("bench-overage", plan="pro"))
    assert UsageCounter.objects.filter(resource="escrows").get().used == created

    print(f"plan limits: {N} creates each way, one database")
    report("ORM create", enforced, plain, goal="1.15")
    report("API create", api_enforced, api_plain, goal="1.05")
    report("Overage create", overage, overage_plain, goal="1.15")
    print(f"  one limit check (median):       {ms(checks):.3f} ms (goal < 0.3 ms)")
    print(f"  32 concurrent creators, limit 5: {created} created, {refused} refused,"
          f" {over} rows over the limit")  # fmt: skip


if __name__ == "__main__":
    main()

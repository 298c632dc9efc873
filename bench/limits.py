"""Plan limits: what enforcement costs per create, and whether concurrency can pass a limit.

In one run, on one fresh database (built from the models, as the test suite builds it): (a) N
shipments created through the enforcing model path and N through a plain insert of the same model,
(b) the same through the REST API (Django's test client) with and without enforcement, (c) 32
concurrent creators at a Free tenant's escrow limit. BENCH_LIMIT_CREATES (default 300) sets N.
"""

import os
import statistics
import threading
import time
from contextlib import contextmanager

from _database import use_fresh_database

N = int(os.environ.get("BENCH_LIMIT_CREATES", "300"))
PASSWORD = "a-long-enough-passphrase"

use_fresh_database("bench_limits")

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, models, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from billing.exceptions import PlanLimitExceeded  # noqa: E402
from billing.limits import plan_limit_reserve  # noqa: E402
from billing.models import Entitlement, UsageCounter  # noqa: E402
from billing.plans import Resource  # noqa: E402
from escrows.models import Escrow  # noqa: E402
from escrows.services import escrow_create  # noqa: E402
from loginexus.tenancy.services import public_tenant_ensure, tenant_provision  # noqa: E402
from shipments.models import Shipment  # noqa: E402


def timed(action, *args) -> float:
    started = time.perf_counter()
    action(*args)
    return time.perf_counter() - started


def provision(slug: str, plan: str | None = None):
    connection.set_schema_to_public()
    tenant = tenant_provision(
        company=slug, slug=slug, admin_email=f"a@{slug}.example", admin_password=PASSWORD
    )
    if plan:
        Entitlement.objects.create(tenant=tenant, subscribed_plan=plan, status="active")
    return tenant


@contextmanager
def enforcement_off():
    """The same code path without the limit check: Shipment.save as Django's own."""
    enforcing = Shipment.save
    Shipment.save = models.Model.save
    try:
        yield
    finally:
        Shipment.save = enforcing


def new_shipment(reference: str) -> Shipment:
    return Shipment(reference=reference, origin="A", destination="B", carrier="C", weight_kg=1)


def orm_creates(tenant) -> tuple[list[float], list[float]]:
    """Alternating, so both ways meet the same database state."""
    enforced, plain = [], []
    with tenant_context(tenant):
        for number in range(N):
            enforced.append(timed(new_shipment(f"E{number}").save))
            with enforcement_off():
                plain.append(timed(new_shipment(f"P{number}").save))
    return enforced, plain


def reserve_checks(tenant) -> list[float]:
    """The check as it runs in practice: inside the transaction of an insert (rolled back here)."""
    with tenant_context(tenant), transaction.atomic():
        times = [timed(plan_limit_reserve_shipment) for _ in range(N)]
        transaction.set_rollback(True)
    return times


def plan_limit_reserve_shipment() -> None:
    plan_limit_reserve(resource=Resource.SHIPMENTS)


def api_creates(tenant) -> tuple[list[float], list[float]]:
    """Alternating API creates through the test client, with and without enforcement."""
    client = Client(HTTP_HOST=f"{tenant.slug}.localhost")
    with tenant_context(tenant):
        client.force_login(get_user_model().objects.get())
    enforced, plain = [], []
    for number in range(N):
        body = {"reference": f"AE{number}", "origin": "A", "destination": "B", "carrier": "C",
                "weight_kg": "1"}  # fmt: skip
        enforced.append(timed(client.post, "/api/v1/shipments/", body))
        with enforcement_off():
            plain.append(
                timed(client.post, "/api/v1/shipments/", {**body, "reference": f"AP{number}"})
            )
    connection.set_schema_to_public()
    return enforced, plain


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


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def report(name: str, enforced: list[float], plain: list[float], goal: str) -> None:
    ratio = statistics.median(enforced) / statistics.median(plain)
    print(f"  {name}, enforced / plain:  {ms(enforced):.3f} / {ms(plain):.3f} ms, ratio {ratio:.2f}"
          f" (goal <= {goal})")  # fmt: skip


def main() -> None:
    with open(os.devnull, "w") as quiet:
        call_command("migrate_schemas", interactive=False, verbosity=0, stdout=quiet)
    public_tenant_ensure()
    enterprise = provision("bench-orm", plan="enterprise")
    enforced, plain = orm_creates(enterprise)
    checks = reserve_checks(enterprise)
    api_enforced, api_plain = api_creates(provision("bench-api", plan="enterprise"))
    created, refused, over = concurrent_creators(provision("bench-race"))
    assert UsageCounter.objects.filter(resource="escrows").get().used == created

    print(f"plan limits: {N} creates each way, one database")
    report("ORM create", enforced, plain, goal="1.15")
    report("API create", api_enforced, api_plain, goal="1.05")
    print(f"  one limit check (median):       {ms(checks):.3f} ms (goal < 0.3 ms)")
    print(f"  32 concurrent creators, limit 5: {created} created, {refused} refused,"
          f" {over} rows over the limit")  # fmt: skip


if __name__ == "__main__":
    main()

"""Creates timed in pairs, with and without the plan-limit check, for the benchmarks that weigh
what enforcement costs (limits.py, request_path.py). Imported once Django is set up."""

import gc
import statistics
import time
from contextlib import contextmanager, nullcontext

from django.db import models, transaction
from django_tenants.utils import tenant_context

from billing.limits import plan_limit_reserve
from billing.plans import Resource
from shipments.models import Shipment


def timed(action, *args) -> float:
    started = time.perf_counter()
    action(*args)
    return time.perf_counter() - started


@contextmanager
def enforcement_off():
    """The same code path without the limit check: Shipment's insert as Django's own."""
    enforcing = Shipment._do_insert
    Shipment._do_insert = models.Model._do_insert
    try:
        yield
    finally:
        Shipment._do_insert = enforcing


def new_shipment(reference: str) -> Shipment:
    return Shipment(reference=reference, origin="A", destination="B", carrier="C", weight_kg=1)


def paired(enforced_create, plain_create, n: int) -> tuple[list[float], list[float]]:
    """N creates each way, in pairs whose order alternates, so both ways meet the same database
    and process state; the garbage collector waits until the end."""
    enforced, plain = [], []
    gc.collect()
    gc.disable()
    try:
        for number in range(n):
            runs = [(enforced, enforced_create, False), (plain, plain_create, True)]
            for times, create, off in runs if number % 2 == 0 else reversed(runs):
                with enforcement_off() if off else nullcontext():
                    times.append(timed(create, number))
    finally:
        gc.enable()
    return enforced, plain


def orm_creates(tenant, n: int) -> tuple[list[float], list[float]]:
    with tenant_context(tenant):
        return paired(
            lambda number: new_shipment(f"E{number}").save(),
            lambda number: new_shipment(f"P{number}").save(),
            n,
        )


def reserve_checks(tenant, n: int) -> list[float]:
    """The check on its own (as `bulk_create` runs it before its insert): inside a transaction,
    rolled back here. A single create's check rides in its insert statement instead."""
    with tenant_context(tenant), transaction.atomic():
        times = [timed(plan_limit_reserve_shipment) for _ in range(n)]
        transaction.set_rollback(True)
    return times


def plan_limit_reserve_shipment() -> None:
    plan_limit_reserve(resource=Resource.SHIPMENTS)


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000

"""The request path against its floor: the statements each hot request sends, what the plan-limit
check costs, the domain lookup, and an API create under gunicorn next to the bare view of
bench/_floor.py doing the same INSERT, each goal printed with met / not met.

In one run, on one fresh database (migrated as in production), on an Enterprise tenant with 60
shipments and 60 escrows: (a) each hot request sent warm through Django's test client, the host
cache on as in production, with its statements counted and listed (BENCH_REQUEST_PATH_SQL=1
prints them); (b) N ORM creates enforced and plain in alternating pairs, and N limit checks
alone; (c) the domain lookup warm and cold; (d) gunicorn (2 workers) serving the product and the
floor at once, N API creates to each in alternation, with the token the product wants.
BENCH_REQUEST_PATH_CREATES (default 300) sets N.
"""

import json
import os
import statistics
import subprocess
import sys
import time

import requests
from _broker import purge_queued_tasks_at_exit
from _database import ROOT, use_fresh_database

N = int(os.environ.get("BENCH_REQUEST_PATH_CREATES", "300"))
SHOW_SQL = os.environ.get("BENCH_REQUEST_PATH_SQL") == "1"
SLUG = "bench-path"
PORTS = {"product": 8771, "floor": 8772}

use_fresh_database("bench_request_path")
purge_queued_tasks_at_exit()

from _creates import ms, orm_creates, reserve_checks  # noqa: E402
from _tenants import bench_tenant  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_tenants.utils import get_tenant_domain_model, tenant_context  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from escrows.models import Escrow  # noqa: E402
from escrows.services import escrow_create  # noqa: E402
from loginexus.tenancy.resolution import CachedTenantMainMiddleware  # noqa: E402
from loginexus.tenancy.services import public_tenant_ensure  # noqa: E402
from shipments.models import Shipment  # noqa: E402
from shipments.services import shipment_create  # noqa: E402

BODY = {"origin": "A", "destination": "B", "carrier": "C", "weight_kg": "1"}
GOALS = {  # statements per request, at most
    "API shipment create": 8,
    "API shipment list, 1 a page": 5,
    "API shipment list, 50 a page": 5,
    "API shipment status change": 8,
    "API escrow create": 8,
    "API escrow list, 1 a page": 5,
    "API escrow list, 50 a page": 5,
    "API escrow status change": 8,
    "dashboard page": 10,
}


def provision():
    tenant = bench_tenant(SLUG, plan="enterprise")
    with tenant_context(tenant):
        admin = get_user_model().objects.get()
        for number in range(60):
            shipment = shipment_create(**BODY, reference=f"S{number}", created_by=admin)
            escrow_create(
                shipment=shipment, buyer="B", seller="S", amount="10.00", currency="EUR",
                created_by=admin,
            )  # fmt: skip
        token = Token.objects.create(user=admin).key
    return tenant, admin, token


class Requests:
    """The hot requests, each made fresh where it changes something."""

    def __init__(self, tenant, admin, token) -> None:
        host = f"{tenant.slug}.localhost"
        self.api = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Token {token}")
        self.pages = Client(HTTP_HOST=host)
        with tenant_context(tenant):
            self.pages.force_login(admin)
            self.shipment_id = Shipment.objects.order_by("pk").values_list("pk", flat=True)[0]
            self.escrow_id = Escrow.objects.order_by("pk").values_list("pk", flat=True)[0]
        self.tenant, self.numbers = tenant, iter(range(10**6))

    def _post(self, path: str, body: dict, expected: int = 201):
        answer = self.api.post(path, json.dumps(body), content_type="application/json")
        assert answer.status_code == expected, answer.content
        return answer.json()

    def shipment_create(self):
        return self._post("/api/v1/shipments/", {**BODY, "reference": f"R{next(self.numbers)}"})

    def shipment_status_change(self, shipment_id: int):
        answer = self.api.patch(
            f"/api/v1/shipments/{shipment_id}/", json.dumps({"status": "booked"}),
            content_type="application/json",
        )  # fmt: skip
        assert answer.status_code == 200, answer.content

    def escrow_create(self, shipment_id: int | None = None):
        shipment_id = shipment_id or self.shipment_create()["id"]
        body = {"shipment": shipment_id, "buyer": "B", "seller": "S", "amount": "10.00"}
        return self._post("/api/v1/escrows/", {**body, "currency": "EUR"})

    def escrow_status_change(self, escrow_id: int):
        self._post(f"/api/v1/escrows/{escrow_id}/fund/", {}, expected=200)

    def get(self, client: Client, path: str) -> None:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)


def counted(make) -> list[str]:
    """The statements of one request, made warm: the same request once before, uncounted."""
    make()
    with CaptureQueriesContext(connection) as captured:
        make()
    connection.set_schema_to_public()
    return [query["sql"] for query in captured.captured_queries]


def statement_counts(hot: Requests) -> dict[str, list[str]]:
    fresh = {}  # what a change needs: a new object for each of its two runs

    def changing(create, change):
        objects = iter([create()["id"], create()["id"]])
        return lambda: change(next(objects))

    def page(client: Client, path: str):
        return lambda: hot.get(client, path)

    shipment, escrow = f"/api/v1/shipments/{hot.shipment_id}/", f"/api/v1/escrows/{hot.escrow_id}/"
    fresh["API shipment create"] = hot.shipment_create
    fresh["API shipment list, 1 a page"] = page(hot.api, "/api/v1/shipments/?page_size=1")
    fresh["API shipment list, 50 a page"] = page(hot.api, "/api/v1/shipments/?page_size=50")
    fresh["API shipment retrieve"] = page(hot.api, shipment)
    fresh["API shipment status change"] = changing(hot.shipment_create, hot.shipment_status_change)
    fresh["API escrow create"] = changing(hot.shipment_create, hot.escrow_create)
    fresh["API escrow list, 1 a page"] = page(hot.api, "/api/v1/escrows/?page_size=1")
    fresh["API escrow list, 50 a page"] = page(hot.api, "/api/v1/escrows/?page_size=50")
    fresh["API escrow retrieve"] = page(hot.api, escrow)
    fresh["API escrow status change"] = changing(hot.escrow_create, hot.escrow_status_change)
    fresh["dashboard page"] = page(hot.pages, "/")
    fresh["billing page"] = page(hot.pages, "/billing/")
    return {name: counted(make) for name, make in fresh.items()}


def domain_lookups(hostname: str) -> tuple[float, float]:
    """The median time to find the tenant a host names, warm (the per-process cache) and cold
    (its query)."""
    middleware = CachedTenantMainMiddleware(lambda request: None)
    domain_model = get_tenant_domain_model()

    def median_of(count: int) -> float:
        times = []
        for _ in range(count):
            started = time.perf_counter()
            middleware.get_tenant(domain_model, hostname)
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    with override_settings(TENANT_HOST_CACHE_SECONDS=3600):
        middleware.get_tenant(domain_model, hostname)
        warm = median_of(5 * N)
    with override_settings(TENANT_HOST_CACHE_SECONDS=0):
        cold = median_of(N)
    return warm, cold


def served_creates(token: str) -> dict[str, list[float]]:
    env = {
        **os.environ,
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "DATABASE_CONN_MAX_AGE": "60",
        "BASE_DOMAIN": "localhost",
        "BENCH_FLOOR_SLUG": SLUG,
        "LOG_LEVEL": "WARNING",
    }
    apps = {"product": "loginexus.wsgi:application", "floor": "bench._floor:application"}
    gunicorn = [sys.executable, "-m", "gunicorn", "--workers", "2", "--log-level", "warning"]
    servers = [
        subprocess.Popen([*gunicorn, app, "--bind", f"127.0.0.1:{PORTS[name]}"], cwd=ROOT, env=env)
        for name, app in apps.items()
    ]
    headers = {"Host": f"{SLUG}.localhost", "Authorization": f"Token {token}"}
    sessions = {name: requests.Session() for name in PORTS}
    times: dict[str, list[float]] = {name: [] for name in PORTS}

    def create(name: str, reference: str) -> float:
        started = time.perf_counter()
        answer = sessions[name].post(
            f"http://127.0.0.1:{PORTS[name]}/api/v1/shipments/",
            json={**BODY, "reference": reference}, headers=headers, timeout=30,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        assert answer.status_code == 201, answer.text
        return elapsed

    try:
        deadline = time.monotonic() + 60
        for name in PORTS:
            while True:
                try:
                    create(name, f"WARM-{name}-{time.monotonic_ns()}")
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        for number in range(N):
            order = list(PORTS) if number % 2 == 0 else list(reversed(PORTS))
            for name in order:
                times[name].append(create(name, f"G{name[0]}{number}"))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    return times


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def main() -> None:
    with open(os.devnull, "w") as quiet:
        call_command("migrate_schemas", interactive=False, verbosity=0, stdout=quiet)
    public_tenant_ensure()
    tenant, admin, token = provision()
    with override_settings(TENANT_HOST_CACHE_SECONDS=3600):
        counts = statement_counts(Requests(tenant, admin, token))
    enforced, plain = orm_creates(tenant, N)
    checks = reserve_checks(tenant, N)
    warm, cold = domain_lookups(f"{SLUG}.localhost")
    served = served_creates(token)

    print(f"request path: one Enterprise tenant, 60 shipments and escrows, {N} creates a way")
    print("  statements per request (warm, host cache on):")
    for name, statements in counts.items():
        goal = GOALS.get(name)
        judged = f"(goal <= {goal}: {verdict(len(statements) <= goal)})" if goal else ""
        print(f"    {name:32} {len(statements):3} {judged}")
        if SHOW_SQL:
            for sql in statements:
                print(f"        {sql[:160]}")
    ratio = statistics.median(enforced) / statistics.median(plain)
    print(f"  ORM create, enforced / plain:    {ms(enforced):.3f} / {ms(plain):.3f} ms, ratio "
          f"{ratio:.2f} (goal <= 1.10: {verdict(ratio <= 1.10)})")  # fmt: skip
    print(f"  one limit check (median):        {ms(checks):.3f} ms "
          f"(goal < 0.2 ms: {verdict(ms(checks) < 0.2)})")  # fmt: skip
    print(f"  domain lookup, warm / cold:      {warm * 1000:.4f} / {cold * 1000:.3f} ms "
          f"(goal warm < 0.05 ms: {verdict(warm * 1000 < 0.05)})")  # fmt: skip
    product, floor = ms(served["product"]), ms(served["floor"])
    within = verdict(product <= 3 * floor)
    print(f"  API create under gunicorn (2 workers), p50 product / floor: {product:.2f} / "
          f"{floor:.2f} ms, {product / floor:.1f}x (goal <= 3x: {within})")  # fmt: skip


if __name__ == "__main__":
    main()

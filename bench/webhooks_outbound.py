"""Outbound webhooks: delivery throughput and the lag from a status change to its delivery.

In one run, on a fresh migrated database: a receiver (a threaded HTTP server in this process,
answering 200 with keep-alive) and one workspace with one endpoint subscribed to every event.
First the receiver's own floor: one keep-alive client POSTing signed-size bodies to it. Then
throughput: N shipments are created with no worker running (N deliveries queued), one Celery
worker (prefork, 2 processes) is started and the rate is measured from the first delivery to
the last. Then lag: with the worker running, status changes at RATE per second for SECONDS
seconds (from 8 threads, as concurrent requests would), each delivery's arrival minus its
event's creation (the change, in its transaction).
BENCH_WEBHOOK_DELIVERIES (default 2000), BENCH_LAG_RATE (50), BENCH_LAG_SECONDS (10).
"""

import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import urllib3
from _broker import purge_queued_tasks_at_exit
from _database import ROOT, use_fresh_database

N = int(os.environ.get("BENCH_WEBHOOK_DELIVERIES", "2000"))
RATE = float(os.environ.get("BENCH_LAG_RATE", "50"))
SECONDS = float(os.environ.get("BENCH_LAG_SECONDS", "10"))
CHANGERS = 8  # threads making the changes, each with its own database connection
PASSWORD = "a-long-enough-passphrase"
WORKER_OPTIONS = os.environ.get("BENCH_WORKER_OPTIONS", "--pool prefork --concurrency 2").split()

use_fresh_database("bench_webhooks_outbound")
purge_queued_tasks_at_exit()

from django.core.management import call_command  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from billing.models import Entitlement  # noqa: E402
from loginexus.tenancy.services import public_tenant_ensure, tenant_provision  # noqa: E402
from shipments.services import shipment_create, shipment_transition  # noqa: E402
from webhooks.models import EventType, WebhookDelivery  # noqa: E402
from webhooks.services import webhook_endpoint_create  # noqa: E402

arrivals: list[tuple[float, str]] = []  # (arrival, the event's "created")
arrivals_lock = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        arrived = time.time()
        start = body.find(b'"created":"') + len(b'"created":"')
        created = body[start : body.find(b'"', start)].decode()
        with arrivals_lock:
            arrivals.append((arrived, created))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.01)


def received() -> int:
    with arrivals_lock:
        return len(arrivals)


def receiver_floor(port: int, count: int) -> tuple[float, list[float]]:
    """One keep-alive client POSTing bodies of a delivery's size: the receiver's own rate and
    each request's round trip."""
    pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1)
    body = b'{"id":"msg_floor","type":"shipment.created","created":"x","data":{}}' + b" " * 300
    round_trips = []
    started = time.perf_counter()
    for _ in range(count):
        began = time.perf_counter()
        pool.urlopen("POST", "/hooks", body=body, headers={"Content-Type": "application/json"})
        round_trips.append(time.perf_counter() - began)
    rate = count / (time.perf_counter() - started)
    with arrivals_lock:
        arrivals.clear()
    return rate, round_trips


def main() -> None:
    with open(os.devnull, "w") as quiet:
        call_command("migrate_schemas", interactive=False, verbosity=0, stdout=quiet)
    public_tenant_ensure()
    tenant = tenant_provision(
        company="Bench", slug="bench", admin_email="a@bench.example", admin_password=PASSWORD
    )
    # Unlimited shipments: the plan's limit is not what is measured.
    Entitlement.objects.update_or_create(
        tenant=tenant, defaults={"subscribed_plan": "enterprise", "status": "active"}
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_port
    floor_rate, floor_trips = receiver_floor(port, N)

    with schema_context(tenant.schema_name):
        webhook_endpoint_create(url=f"http://127.0.0.1:{port}/hooks", events=EventType.values)

    def create(number: int):
        with schema_context(tenant.schema_name):
            return shipment_create(
                reference=f"BENCH-{number:05d}",
                origin="Rotterdam",
                destination="Hamburg",
                carrier="DHL",
                weight_kg="1.000",
            )

    with ThreadPoolExecutor(max_workers=CHANGERS) as creators:
        shipments = list(creators.map(create, range(N)))
    env = {**os.environ, "DEBUG": "false", "DATABASE_CONN_MAX_AGE": "60"}
    celery = ["celery", "-A", "loginexus", "worker", "--loglevel", "warning", *WORKER_OPTIONS]
    worker = subprocess.Popen([sys.executable, "-m", *celery], cwd=ROOT, env=env)
    try:
        # The rate counts from the first delivery, so the worker's start-up is left out.
        wait_until(lambda: received() > 0, timeout=120)
        started, at_start = time.perf_counter(), received()
        wait_until(lambda: received() >= N, timeout=600)
        rate = (N - at_start) / (time.perf_counter() - started)
        with arrivals_lock:
            arrivals.clear()

        changes = int(RATE * SECONDS)

        def change(shipment) -> None:
            with schema_context(tenant.schema_name):
                shipment_transition(shipment=shipment, to_status="booked", actor=None)

        # Changes arrive on schedule, as from concurrent requests, whatever each one takes.
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CHANGERS) as changers:
            for number, shipment in enumerate(shipments[:changes]):
                pause = began + number / RATE - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                changers.submit(change, shipment)
        achieved = changes / (time.perf_counter() - began)
        wait_until(lambda: received() >= changes, timeout=120)
        with arrivals_lock:
            lags = [
                arrived - datetime.fromisoformat(created).timestamp()
                for arrived, created in arrivals
            ]
        with schema_context(tenant.schema_name):
            pending = WebhookDelivery.objects.exclude(status="succeeded")
            # The receiver has them all; the worker may still be writing the last one's log.
            deadline = time.monotonic() + 30
            while pending.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            failed = pending.count()
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        server.shutdown()

    p50, p99 = statistics.median(lags) * 1000, percentile(lags, 0.99) * 1000
    floor_p50 = statistics.median(floor_trips) * 1000
    floor_p99 = percentile(floor_trips, 0.99) * 1000
    print(f"webhooks_outbound: {N} deliveries, then {changes} status changes at {RATE:g}/s")
    print(f"  worker:                  one Celery worker, {' '.join(WORKER_OPTIONS)}")
    print(f"  cores:                   {os.cpu_count()}")
    print(f"  throughput:              {rate:8.1f} deliveries/s (goal >= 200)")
    print(f"    receiver's own floor:  {floor_rate:8.1f} requests/s (one keep-alive client)")
    print(f"  lag change→delivery p50: {p50:8.1f} ms  (direct POST p50 {floor_p50:.1f} ms)")
    print(f"  lag change→delivery p99: {p99:8.1f} ms  (goal < 2000)")
    print(f"    direct POST p99:       {floor_p99:8.1f} ms")
    print(f"    changes made at:       {achieved:8.1f} /s")
    print(f"  not delivered:           {failed:8d}")


if __name__ == "__main__":
    main()

"""Load and faults on the production topology (loginexus/cluster.py), run by `make bench-cluster`.

A fresh cluster of its own (HAProxy, 3 gunicorn nodes, 2 workers, beat, PgBouncer, a primary and
a hot standby, Redis with AOF, the simulator) on ports from 8400, with BENCH_TOPOLOGY_TENANTS
(200) tenants: one in four on Free with 45 of its 50 shipments made, the rest on Pro. Locust
(bench/_cluster_load.py) drives BENCH_TOPOLOGY_RATE (40) requests a second for
BENCH_TOPOLOGY_SECONDS (300): shipment lists, creates, status changes, the billing page, and
Stripe customer changes whose webhooks the simulator sends. At set times the script SIGKILLs a
web node, SIGKILLs a worker while it runs a task, restarts Redis, restarts the PostgreSQL primary
and pauses the standby's replay for 10 s. Printed: requests, error rate, p50 and p99 per phase,
then the invariants read from the database: every created shipment answered 201 is there, no
usage counter differs from its rows, every webhook event is applied once, no tenant is over its
limit.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECONDS = int(os.environ.get("BENCH_TOPOLOGY_SECONDS", "300"))
TENANTS = int(os.environ.get("BENCH_TOPOLOGY_TENANTS", "200"))
RATE = float(os.environ.get("BENCH_TOPOLOGY_RATE", "40"))
BALANCER_PORT = int(os.environ.get("BENCH_TOPOLOGY_PORT", "8400"))
FREE_EVERY, FREE_PREFILLED = 4, 45
REPLICA_PAUSE_SECONDS = 10
# Each fault at its share of the run; a phase lasts from its fault to the next one.
FAULTS = [
    (1 / 6, "web node killed"),
    (2 / 6, "worker killed mid-task"),
    (3 / 6, "Redis restarted"),
    (4 / 6, "primary restarted"),
    (5 / 6, "replica paused"),
]
GOALS = {"web node killed": 0, "worker killed mid-task": 0}  # errors allowed, at most


def say(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    # A task a killed worker held goes back to the queue this long after it was taken.
    os.environ.setdefault("CELERY_VISIBILITY_TIMEOUT", "20")
    # A delivery recorded while its task could not run is queued again within seconds.
    os.environ.setdefault("STRIPE_WEBHOOK_SWEEP_SECONDS", "5")
    os.environ.setdefault("STRIPE_WEBHOOK_REQUEUE_AFTER_SECONDS", "15")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from loginexus.cluster import Cluster, Ports
    from loginexus.local import stop_signals

    stop_signals.install()  # Ctrl-C or SIGTERM stops the cluster too

    directory = Path(tempfile.mkdtemp(prefix="lnx-topology-"))
    cluster = Cluster(directory=directory, ports=Ports(balancer=BALANCER_PORT), seed_demo=False)
    try:
        say("starting the cluster")
        cluster.start()
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loginexus.settings")
        django.setup()
        tenants = _tenants(cluster)
        measured = _load(cluster, directory, tenants)
        _report(measured)
        violations = _invariants(cluster, directory, tenants)
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
    return 1 if violations else 0


def _tenants(cluster) -> list[dict]:
    """The tenants, each with its admin's API token and session, and its Stripe customer."""
    import stripe
    from _tenants import bench_tenant
    from django.conf import settings
    from django.test import Client
    from django_tenants.utils import tenant_context
    from rest_framework.authtoken.models import Token

    from billing.simulator import DEMO_SECRET_KEY
    from loginexus.accounts.models import User
    from loginexus.tenancy.services import public_tenant_ensure
    from shipments.services import shipment_create

    stripe.api_base, stripe.api_key = cluster.simulator_url, DEMO_SECRET_KEY
    public_tenant_ensure()
    started = time.monotonic()
    tenants = []
    for number in range(TENANTS):
        free = number % FREE_EVERY == 0
        tenant = bench_tenant(f"load-{number}", plan=None if free else "pro")
        with tenant_context(tenant):
            admin = User.objects.get()
            if free:
                for n in range(FREE_PREFILLED):
                    shipment_create(
                        reference=f"P{n}", origin="A", destination="B", carrier="C",
                        weight_kg="1", created_by=admin,
                    )  # fmt: skip
            token = Token.objects.create(user=admin).key
            browser = Client()
            browser.force_login(admin)
            session = browser.cookies[settings.SESSION_COOKIE_NAME].value
        customer = stripe.Customer.create(
            email=tenant.email or f"billing@{tenant.slug}.example",
            metadata={"djstripe_subscriber": str(tenant.pk)},
        )
        tenants.append({
            "schema": tenant.schema_name, "host": f"{tenant.slug}.{cluster.host}",
            "token": token, "session": session, "customer": customer.id, "free": free,
        })  # fmt: skip
    say(f"{TENANTS} tenants in {time.monotonic() - started:.0f} s")
    return tenants


def _load(cluster, directory: Path, tenants: list[dict]) -> dict:
    from billing.simulator import DEMO_SECRET_KEY

    files = {name: directory / f"{name}.json" for name in ("tenants", "requests", "creates")}
    files["tenants"].write_text(json.dumps(tenants))
    users = max(1, round(RATE))
    env = {
        **os.environ,
        "BENCH_TOPOLOGY_TENANTS": str(files["tenants"]),
        "BENCH_TOPOLOGY_REQUESTS": str(files["requests"]),
        "BENCH_TOPOLOGY_CREATES": str(files["creates"]),
        "BENCH_TOPOLOGY_SIMULATOR": cluster.simulator_url,
        "BENCH_TOPOLOGY_STRIPE_KEY": DEMO_SECRET_KEY,
        "BENCH_TOPOLOGY_USER_RATE": str(RATE / users),
    }
    locust = subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "_cluster_load.py"),
         "--headless", "--users", str(users), "--spawn-rate", str(users),
         "--run-time", f"{SECONDS}s", "--host", f"http://127.0.0.1:{cluster.ports.balancer}",
         "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "30"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(directory / "locust.log", "w"),  # noqa: SIM115
    )  # fmt: skip
    say(f"Locust: {users} users, {RATE:g} requests/s for {SECONDS} s")
    started = time.time()
    faults = []
    stop_supervising = threading.Event()
    supervisor = threading.Thread(target=_supervise, args=(cluster, stop_supervising), daemon=True)
    supervisor.start()
    for share, name in FAULTS:
        time.sleep(max(0.0, started + share * SECONDS - time.time()))
        begun = time.time()
        _inject(cluster, name)
        faults.append((name, begun, time.time()))
        say(f"{name} ({time.time() - begun:.1f} s)")
    locust.wait()
    stop_supervising.set()
    supervisor.join()
    say("load done; waiting for the queue and the webhooks to drain")
    from django.db import connections

    connections.close_all()  # the primary restarted under them
    _drain(cluster)
    requests = [json.loads(line) for line in files["requests"].read_text().splitlines()]
    return {"started": started, "faults": faults, "requests": requests}


def _supervise(cluster, stop: threading.Event) -> None:
    """Start again the web node and worker the faults killed, as `make cluster` does."""
    while not stop.is_set():
        if stopped := cluster.supervise_once():
            say(f"{stopped}!")
            return
        time.sleep(0.2)


def _inject(cluster, name: str) -> None:
    if name == "web node killed":
        cluster.kill("web2")
    elif name == "worker killed mid-task":
        _kill_worker_mid_task(cluster)
    elif name == "Redis restarted":
        cluster.redis_restart()
    elif name == "primary restarted":
        cluster.primary_restart()
    elif name == "replica paused":
        cluster.replica_pause()
        threading.Timer(REPLICA_PAUSE_SECONDS, cluster.replica_resume).start()


def _kill_worker_mid_task(cluster) -> None:
    """SIGKILL worker1 while one of its pool's processes runs a task (or after 5 s)."""
    from loginexus.celery import app

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        active = app.control.inspect(timeout=0.5).active() or {}
        if any(tasks for name, tasks in active.items() if name.startswith("worker1@")):
            break
    cluster.kill("worker1")


def _drain(cluster) -> None:
    import redis
    import requests

    requests.post(f"{cluster.simulator_url}/_sim/webhooks/wait", json={"timeout": 60}, timeout=70)
    from djstripe.models import WebhookEventTrigger

    queue = redis.Redis.from_url(cluster.redis_url)
    waiting = WebhookEventTrigger.objects.filter(valid=True, processed=False, exception="")
    deadline = time.monotonic() + 120
    time.sleep(25)  # tasks a killed worker held come back after the visibility timeout
    while (queue.llen("celery") or waiting.exists()) and time.monotonic() < deadline:
        time.sleep(1)
    # Deliveries the endpoint refused while the primary restarted come again (5 s, then 30 s).
    requests.post(f"{cluster.simulator_url}/_sim/webhooks/wait", json={"timeout": 60}, timeout=70)
    while (queue.llen("celery") or waiting.exists()) and time.monotonic() < deadline + 60:
        time.sleep(1)


def _phases(measured: dict) -> list[tuple[str, float, float]]:
    bounds = [("steady", measured["started"])] + [(n, b) for n, b, _e in measured["faults"]]
    ends = [begun for _name, begun in bounds[1:]] + [float("inf")]
    return [(name, begun, end) for (name, begun), end in zip(bounds, ends, strict=True)]


def _report(measured: dict) -> None:
    requests = measured["requests"]
    total = len(requests)
    errors = sum(r["error"] for r in requests)
    print(f"\n  requests: {total:,}, errors: {errors} ({100 * errors / max(total, 1):.2f} %)")
    print(f"  {'phase':<24} {'requests':>8} {'errors':>7} {'rate':>7} {'p50 ms':>8} {'p99 ms':>8}"
          f"  error window")  # fmt: skip
    for name, begun, end in _phases(measured):
        # A request counts in the phase it ended in: one in flight when a fault struck failed
        # because of it.
        inside = [r for r in requests if begun <= r["at"] + r["ms"] / 1000 < end]
        failed = [r for r in inside if r["error"]]
        latencies = [r["ms"] for r in inside] or [0.0]
        ended = [r["at"] + r["ms"] / 1000 for r in failed]
        window = max(ended) - min(ended) if failed else 0
        goal = GOALS.get(name)
        verdict = "" if goal is None else (" met" if len(failed) <= goal else " NOT MET")
        print(f"  {name:<24} {len(inside):>8} {len(failed):>7}"
              f" {100 * len(failed) / max(len(inside), 1):>6.2f}%"
              f" {statistics.median(latencies):>8.0f} {percentile(latencies, 0.99):>8.0f}"
              f"  {window:.1f} s{verdict}")  # fmt: skip
        by_status = Counter(f"{r['name']} {r['status']}" for r in failed)
        for what, count in sorted(by_status.items()):
            print(f"      {count} x {what}")


def _invariants(cluster, directory: Path, tenants: list[dict]) -> int:
    import stripe
    from django.db import connection
    from django.db.models import Count
    from django_tenants.utils import schema_context
    from djstripe.models import Event, WebhookEventTrigger

    from billing.models import UsageCounter
    from billing.plans import FREE, PRO, Resource
    from shipments.models import Shipment

    creates = [json.loads(line) for line in (directory / "creates.json").read_text().splitlines()]
    by_schema: dict[str, set[int]] = {}
    for create in creates:
        by_schema.setdefault(create["schema"], set()).add(create["id"])
    lost = counters_off = over_limit = 0
    for tenant in tenants:
        with schema_context(tenant["schema"]):
            ids = set(Shipment.objects.values_list("id", flat=True))
            lost += len(by_schema.get(tenant["schema"], set()) - ids)
            rows = len(ids)
        connection.set_schema_to_public()
        used = sum(
            UsageCounter.objects.filter(
                tenant__schema_name=tenant["schema"], resource=Resource.SHIPMENTS
            ).values_list("used", flat=True)
        )
        counters_off += used != rows
        limit = (FREE if tenant["free"] else PRO).limit(Resource.SHIPMENTS)
        over_limit += rows > limit
    events = [
        event.id
        for event in stripe.Event.list(type="customer.updated", limit=100).auto_paging_iter()
    ]
    applied = set(Event.objects.filter(id__in=events).values_list("id", flat=True))
    processed = WebhookEventTrigger.objects.filter(valid=True, processed=True)
    delivered = set(processed.filter(event__id__in=events).values_list("event__id", flat=True))
    not_applied = len(set(events) - applied)
    unprocessed = len(set(events) - delivered)
    per_event = processed.values("event_id").annotate(n=Count("id"))
    twice = sum(1 for row in per_event if row["event_id"] and row["n"] > 1)
    checks = [
        (f"every 201 create is there ({len(creates):,} creates)", lost),
        (f"no usage counter differs from its rows ({len(tenants)} tenants)", counters_off),
        (f"every webhook event applied ({len(events):,} events)", not_applied),
        ("every event has a delivery processed", unprocessed),
        ("no event processed twice", twice),
        ("no tenant over its limit", over_limit),
    ]
    _explain(cluster, sorted(set(events) - applied), WebhookEventTrigger)
    print()
    for what, violations in checks:
        print(f"  {what}: {violations} violation(s){'' if violations else ' - met'}")
    return sum(violations for _what, violations in checks)


def _explain(cluster, missing: list[str], triggers) -> None:
    """What became of each event not applied: its deliveries, and the triggers they left."""
    import requests

    if not missing:
        return
    attempts = requests.get(f"{cluster.simulator_url}/_sim/webhook_deliveries", timeout=10)
    for event in missing:
        tried = [
            f"#{a['attempt']} {a['status'] or a['error']}"
            for a in attempts.json()["data"]
            if a["event"] == event
        ]
        left = [
            f"processed={t.processed} exception={t.exception[:80]!r}"
            for t in triggers.objects.filter(body__contains=event)
        ]
        print(f"  not applied: {event}: deliveries {tried}, triggers {left}")


if __name__ == "__main__":
    sys.exit(main())

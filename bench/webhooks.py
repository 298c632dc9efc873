"""Stripe webhooks: acknowledgement latency of the web server and processing rate of one worker.

In one run, on a fresh migrated database: the Stripe simulator runs in this process, gunicorn
serves the app, M signed events of real subscription changes are POSTed one after another by one
client (keep-alive), then one Celery worker (solo pool) is started and drains them through
dj-stripe against the simulator. BENCH_WEBHOOK_EVENTS (default 300) sets M.
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

M = int(os.environ.get("BENCH_WEBHOOK_EVENTS", "300"))
PORT = int(os.environ.get("BENCH_WEB_PORT", "8765"))
PASSWORD = "a-long-enough-passphrase"
# One worker as it runs in production: the prefork pool, one process per core of this machine.
WORKER_OPTIONS = os.environ.get("BENCH_WORKER_OPTIONS", "--pool prefork --concurrency 2").split()

use_fresh_database("bench_webhooks")
purge_queued_tasks_at_exit()

import stripe  # noqa: E402
from django.core.management import call_command  # noqa: E402
from djstripe.models import WebhookEventTrigger  # noqa: E402

from billing.simulator import DEMO_SECRET_KEY, sign_payload, start_simulator  # noqa: E402
from billing.stripe.catalog import plans_sync, webhook_endpoint_ensure  # noqa: E402
from loginexus.tenancy.services import public_tenant_ensure, tenant_provision  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.05)


def answers(session: requests.Session, url: str) -> bool:
    try:
        return session.get(url, headers={"Host": "localhost"}, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def signed_events(simulator) -> tuple[list[dict], object]:
    """M real events of one tenant's subscription, and the (disabled) endpoint to sign them for."""
    plans_sync()
    endpoint = webhook_endpoint_ensure(base_url=f"http://localhost:{PORT}")
    # Deliveries are ours to make: the simulator's own would race the measured client.
    stripe.WebhookEndpoint.modify(endpoint.id, disabled=True)
    tenant = tenant_provision(
        company="Bench", slug="bench", admin_email="a@bench.example", admin_password=PASSWORD
    )
    customer = stripe.Customer.create(
        email=tenant.email, metadata={"djstripe_subscriber": str(tenant.pk)}
    )
    price = stripe.Price.list(lookup_keys=["pro_monthly"]).data[0]
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], default_payment_method="pm_card_visa"
    )
    for change in range(M):  # each change is one customer.subscription.updated event
        stripe.Subscription.modify(subscription.id, cancel_at_period_end=change % 2 == 0)
    events = [event.to_dict() for event in stripe.Event.list(limit=100).auto_paging_iter()]
    return events[:M], endpoint


def main() -> None:
    with open(os.devnull, "w") as quiet:
        call_command("migrate_schemas", interactive=False, verbosity=0, stdout=quiet)
    public_tenant_ensure()
    simulator = start_simulator(port=0)
    stripe.api_base, stripe.api_key = simulator.url, DEMO_SECRET_KEY
    events, endpoint = signed_events(simulator)

    # Demo mode on this run's simulator, configured as production runs: no DEBUG bookkeeping,
    # database connections kept between requests and tasks.
    env = {
        **os.environ,
        "STRIPE_SIMULATOR_URL": simulator.url,
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "DATABASE_CONN_MAX_AGE": "60",
        "BASE_DOMAIN": "localhost",
    }
    gunicorn = ["gunicorn", "loginexus.wsgi:application", "--bind", f"127.0.0.1:{PORT}"]
    web = subprocess.Popen(
        [sys.executable, "-m", *gunicorn, "--workers", "2", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    worker = None
    try:
        url = f"http://127.0.0.1:{PORT}/stripe/webhook/{endpoint.djstripe_uuid}/"
        session = requests.Session()
        wait_until(lambda: answers(session, f"http://127.0.0.1:{PORT}/healthz/"), timeout=30)
        latencies = []
        for event in events:
            payload = json.dumps(event, default=str)
            headers = {
                "Host": "localhost",
                "Content-Type": "application/json",
                "Stripe-Signature": sign_payload(payload, endpoint.secret, int(time.time())),
            }
            started = time.perf_counter()
            answer = session.post(url, data=payload, headers=headers, timeout=10)
            latencies.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text

        celery = ["celery", "-A", "loginexus", "worker", "--loglevel", "warning", *WORKER_OPTIONS]
        worker = subprocess.Popen([sys.executable, "-m", *celery], cwd=ROOT, env=env)
        # The rate counts from the first event the worker finished, so its start-up is left out.
        processed = WebhookEventTrigger.objects.filter(processed=True)
        wait_until(processed.exists, timeout=120)
        started, done_at_start = time.perf_counter(), processed.count()
        wait_until(lambda: processed.count() == len(events), timeout=600)
        rate = (len(events) - done_at_start) / (time.perf_counter() - started)
        failed = WebhookEventTrigger.objects.exclude(exception="").count()
    finally:
        for process in (web, worker):
            if process:
                process.terminate()
                process.wait(timeout=20)
        simulator.stop()

    p50, p99 = statistics.median(latencies) * 1000, percentile(latencies, 0.99) * 1000
    print(f"webhooks: {len(events)} signed events, one client, gunicorn (2 workers)")
    print(f"  worker:                  one Celery worker, {' '.join(WORKER_OPTIONS)}")
    print(f"  acknowledgement p50:     {p50:8.1f} ms")
    print(f"  acknowledgement p99:     {p99:8.1f} ms    (goal < 50 ms)")
    print(f"  one worker processes:    {rate:8.1f} events/s (goal >= 30)")
    print(f"  failed:                  {failed:8d}")


if __name__ == "__main__":
    main()

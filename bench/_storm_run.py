"""One run of bench/webhook_storm.py, in a process of its own: a fresh database, the simulator in
this process, the subscriptions as their creation left them, their renewals in Stripe, then the
storm of deliveries to gunicorn and a worker (bench/_storm_worker.py) while a tenant's admin
starts checkouts. Returns what it measured; progress goes to stderr."""

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time

import psutil
import requests

LATENCY_MS, RATE_LIMIT = 150, "live"
BACKGROUND_RATE = "60"  # calls a second of background work, of live mode's 100
WORKER_OPTIONS = os.environ.get("BENCH_WORKER_OPTIONS", "--pool prefork --concurrency 2").split()
DUPLICATES = 0.1
CHECKOUT_EVERY = 0.5  # seconds between two checkouts' starts
DELIVERING_CLIENTS = 4  # deliveries in flight at once, as Stripe sends them
SETUP_THREADS = 4
PORT = int(os.environ.get("BENCH_STORM_WEB_PORT", "8766"))
PASSWORD = "a-long-enough-passphrase"
PRICES = ("pro_monthly", "enterprise_monthly")
# What the worker's processes count (bench/_storm_worker.py), in Redis.
QUERIES_KEY = "bench:webhook-storm:queries"
TASKS_KEY = "bench:webhook-storm:tasks"


def say(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)


def run(path: str, subscriptions: int) -> dict:
    from _broker import purge_queued_tasks_at_exit
    from _database import use_fresh_database

    os.environ.setdefault("LOG_LEVEL", "WARNING")  # not a line per Stripe call
    use_fresh_database(f"bench_webhook_storm_{path}")
    purge_queued_tasks_at_exit()

    import stripe
    from django.core.management import call_command

    from billing.simulator import DEMO_SECRET_KEY, start_simulator
    from loginexus.tenancy.services import public_tenant_ensure

    with open(os.devnull, "w") as quiet:
        call_command("migrate_schemas", interactive=False, verbosity=0, stdout=quiet)
    public_tenant_ensure()
    simulator = start_simulator(port=0)
    stripe.api_base, stripe.api_key = simulator.url, DEMO_SECRET_KEY
    try:
        endpoint, checkout_token = _site()
        deliveries, events = _renewals(simulator, subscriptions)
        requests.post(
            f"{simulator.url}/_sim/settings",
            json={"latency_ms": LATENCY_MS, "rate_limit": RATE_LIMIT},
            timeout=5,
        ).raise_for_status()
        measured = _storm(simulator, path, endpoint, checkout_token, deliveries)
    finally:
        simulator.stop()
    return {"subscriptions": subscriptions, "events": events, **measured}


def _site():
    """Plans in Stripe, our endpoint (its deliveries ours to make), a tenant whose admin will
    start checkouts, and that admin's API token."""
    import stripe
    from django_tenants.utils import schema_context
    from rest_framework.authtoken.models import Token

    from billing.stripe.catalog import plans_sync, webhook_endpoint_ensure
    from loginexus.accounts.models import User
    from loginexus.tenancy.services import tenant_provision

    plans_sync()
    endpoint = webhook_endpoint_ensure(base_url=f"http://localhost:{PORT}")
    stripe.WebhookEndpoint.modify(endpoint.id, disabled=True)
    tenant = tenant_provision(
        company="Storm Checkout", slug="storm-checkout", admin_email="a@storm.example",
        admin_password=PASSWORD, owner_verified=True,
    )  # fmt: skip
    with schema_context(tenant.schema_name):
        token, _ = Token.objects.get_or_create(user=User.objects.get(email="a@storm.example"))
    return endpoint, token.key


def _renewals(simulator, subscriptions: int) -> tuple[list[dict], int]:
    """The subscriptions made in Stripe and stored as their creation left them, then renewed in
    Stripe: the deliveries of the renewals' events (shuffled, with duplicates), and how many
    events there are."""
    import stripe

    from billing.stripe.catalog import WEBHOOK_EVENTS
    from loginexus.tenancy.models import Tenant

    tenants = Tenant.objects.bulk_create(
        Tenant(schema_name=f"t_storm_{n}", name=f"Storm {n}", slug=f"storm-{n}",
               email=f"billing@storm{n}.example")
        for n in range(subscriptions)
    )  # fmt: skip
    prices = [stripe.Price.list(lookup_keys=[key]).data[0].id for key in PRICES]
    say(f"{subscriptions:,} subscriptions made in Stripe and stored")
    chunks = [tenants[start::SETUP_THREADS] for start in range(SETUP_THREADS)]
    threads = [threading.Thread(target=_subscribe, args=(chunk, prices)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latest = stripe.Event.list(limit=1).data[0].created
    say("a month passes in Stripe")
    simulator.advance(days=32, payment="succeed")
    events = [
        event.to_dict()
        for event in stripe.Event.list(
            created={"gt": latest}, types=WEBHOOK_EVENTS, limit=100
        ).auto_paging_iter()
    ]
    assert len(events) == 5 * subscriptions, len(events)
    shuffle = random.Random(2026)
    deliveries = events + shuffle.sample(events, round(DUPLICATES * len(events)))
    shuffle.shuffle(deliveries)
    return deliveries, len(events)


def _subscribe(tenants, prices: list[str]) -> None:
    import stripe
    from django.db import connection
    from djstripe.models import Customer, Subscription

    from billing.services import entitlement_and_invoice_refresh
    from billing.stripe import boundary

    for tenant in tenants:
        number = int(tenant.slug.rsplit("-", 1)[1])
        customer = stripe.Customer.create(
            email=tenant.email, metadata={"djstripe_subscriber": str(tenant.pk)}
        )
        subscription = stripe.Subscription.create(
            customer=customer.id,
            items=[{"price": prices[number % len(prices)]}],
            default_payment_method="pm_card_visa",
        )
        boundary.synced(Customer, customer)
        boundary.synced(Subscription, subscription)
        entitlement_and_invoice_refresh(tenant=tenant)
    connection.close()


def _storm(simulator, path: str, endpoint, token: str, deliveries: list[dict]) -> dict:
    import redis
    from _database import ROOT
    from django.conf import settings
    from djstripe.models import WebhookEventTrigger

    from loginexus.celery import app

    env = {
        **os.environ,
        "STRIPE_SIMULATOR_URL": simulator.url,
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "DATABASE_CONN_MAX_AGE": "60",
        "BASE_DOMAIN": "localhost",
        "STRIPE_BACKGROUND_RATE_PER_SECOND": BACKGROUND_RATE,
        "BENCH_STORM_PATH": path,
    }
    gunicorn = ["gunicorn", "loginexus.wsgi:application", "--bind", f"127.0.0.1:{PORT}"]
    web = subprocess.Popen(
        [sys.executable, "-m", *gunicorn, "--workers", "2", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    celery = ["celery", "-A", "bench._storm_worker", "worker", "--loglevel", "warning"]
    worker = subprocess.Popen([sys.executable, "-m", *celery, *WORKER_OPTIONS], cwd=ROOT, env=env)
    counters = redis.Redis.from_url(settings.REDIS_URL)
    counters.delete(QUERIES_KEY, TASKS_KEY)
    try:
        wait_until(lambda: _answers(f"http://127.0.0.1:{PORT}/healthz/"), 30, "gunicorn")
        wait_until(lambda: app.control.ping(timeout=0.5), 60, "the worker")
        checkouts = _Checkouts(token)
        assert checkouts.one()[1] == 201  # the tenant's Stripe customer is made before the storm
        served, limited = simulator.api.costs.served, simulator.api.costs.rate_limited
        sessions = _sessions(simulator)
        say(f"storm: {len(deliveries):,} deliveries ({path})")
        cpu = _CpuTime(web, worker, database=settings.DATABASES["default"]["NAME"])
        started = time.monotonic()
        checkouts.start()
        _deliver(endpoint, deliveries)
        delivered = time.monotonic() - started
        say(f"delivered in {delivered:.1f} s")
        processed = WebhookEventTrigger.objects.filter(valid=True, processed=True)
        wait_until(lambda: processed.count() == len(deliveries), 3600, "every delivery applied")
        drain = time.monotonic() - started
        cpu_seconds = cpu.spent()
        checkouts.stop()
        users_calls = _sessions(simulator) - sessions  # one call each: its checkout session
        calls = simulator.api.costs.served - served - users_calls
        queries = int(counters.get(QUERIES_KEY) or 0)
        failed = WebhookEventTrigger.objects.exclude(exception="").count()
    finally:
        for process in (web, worker):
            process.terminate()
            process.wait(timeout=30)
    say(f"drained in {drain:.1f} s")
    events = len({event["id"] for event in deliveries})
    return {
        "deliveries": len(deliveries),
        "calls_per_event": calls / events,
        "queries_per_event": queries / len(deliveries),
        "queries_per_unique_event": queries / events,
        "delivered_seconds": delivered,
        "drain_seconds": drain,
        "cpu_seconds": sum(cpu_seconds.values()),
        "cpu_by_part": cpu_seconds,
        "load_average": os.getloadavg()[0],
        "rate_limited": simulator.api.costs.rate_limited - limited,
        "failed": failed,
        **checkouts.summary(),
    }


class _CpuTime:
    """CPU seconds spent by the web server, the worker and the database's sessions."""

    def __init__(self, web: subprocess.Popen, worker: subprocess.Popen, *, database: str) -> None:
        self.servers = {"web": psutil.Process(web.pid), "worker": psutil.Process(worker.pid)}
        self.database = database
        self.at_start = self._now()

    def _processes(self) -> list[tuple[str, psutil.Process]]:
        processes = [
            (name, process)
            for name, server in self.servers.items()
            for process in [server, *server.children(recursive=True)]
        ]
        for process in psutil.process_iter(["cmdline"]):
            if f" {self.database} " in " ".join(process.info["cmdline"] or []):
                processes.append(("database", process))  # a PostgreSQL session of ours
        return processes

    def _now(self) -> dict[tuple[str, int], float]:
        spent = {}
        for name, process in self._processes():
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            spent[name, process.pid] = times.user + times.system
        return spent

    def spent(self) -> dict[str, float]:
        by_part = {"web": 0.0, "worker": 0.0, "database": 0.0}
        for (name, pid), seconds in self._now().items():
            by_part[name] += seconds - self.at_start.get((name, pid), 0.0)
        return by_part


def _sessions(simulator) -> int:
    with simulator.state.lock:
        return len(simulator.state.all("checkout.session"))


def _answers(url: str) -> bool:
    try:
        return requests.get(url, headers={"Host": "localhost"}, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _deliver(endpoint, deliveries: list[dict]) -> None:
    """POST every delivery, signed, from a few clients at once, as Stripe delivers."""
    from billing.simulator import sign_payload

    url = f"http://127.0.0.1:{PORT}/stripe/webhook/{endpoint.djstripe_uuid}/"

    def deliver(share: list[dict]) -> None:
        session = requests.Session()
        for event in share:
            payload = json.dumps(event, default=str)
            headers = {
                "Host": "localhost",
                "Content-Type": "application/json",
                "Stripe-Signature": sign_payload(payload, endpoint.secret, int(time.time())),
            }
            answer = session.post(url, data=payload, headers=headers, timeout=30)
            assert answer.status_code == 200, answer.text

    shares = [deliveries[start::DELIVERING_CLIENTS] for start in range(DELIVERING_CLIENTS)]
    threads = [threading.Thread(target=deliver, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


class _Checkouts:
    """The tenant's admin starting a checkout through the API every CHECKOUT_EVERY seconds."""

    def __init__(self, token: str) -> None:
        self.session = requests.Session()
        self.session.headers.update(
            {"Host": "storm-checkout.localhost", "Authorization": f"Token {token}"}
        )
        self.latencies: list[float] = []
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def one(self) -> tuple[float, int]:
        started = time.monotonic()
        answer = self.session.post(
            f"http://127.0.0.1:{PORT}/api/v1/billing/checkout/",
            json={"plan": "pro", "interval": "month"},
            timeout=60,
        )
        return time.monotonic() - started, answer.status_code

    def _loop(self) -> None:
        while not self._stop.is_set():
            latency, status = self.one()
            self.latencies.append(latency)
            self.statuses.append(status)
            self._stop.wait(max(0.0, CHECKOUT_EVERY - latency))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict:
        return {
            "checkouts": len(self.latencies),
            "checkout_p50": statistics.median(self.latencies),
            "checkout_p99": percentile(self.latencies, 0.99),
            "checkout_503s": self.statuses.count(503),
            "checkout_failures": sum(1 for s in self.statuses if s not in (201, 503)),
        }

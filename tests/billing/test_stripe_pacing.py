"""Stripe's rate limits, on the simulator: user-facing calls retry a 429 for a bounded time, then
answer 503; background calls retry longer and keep to their share of the rate, across processes,
without ever holding a user-facing call back."""

import json
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import stripe
from djstripe.models import WebhookEventTrigger

from billing.plans import PRO
from billing.simulator import DEMO_SECRET_KEY
from billing.stripe import boundary
from billing.stripe.catalog import plans_sync, webhook_endpoint_ensure
from tests.billing.helpers import checkout, pay, post_event, wait_for

ROOT = Path(__file__).resolve().parents[2]


def configure(sim, **changes) -> None:
    requests.post(f"{sim.url}/_sim/settings", json=changes, timeout=5).raise_for_status()


@contextmanager
def stripe_kept_busy(sim, *, seconds: float):
    """Someone else spends the whole rate budget for `seconds`: every call of ours meanwhile
    answers 429 (the simulator's test mode allows 25 requests a second)."""
    configure(sim, rate_limit="test")
    stop_at = time.monotonic() + seconds

    def hammer() -> None:
        session = requests.Session()
        while time.monotonic() < stop_at:
            session.get(f"{sim.url}/v1/customers", auth=(DEMO_SECRET_KEY, ""), timeout=5)

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)  # the window is full
    try:
        yield
    finally:
        for thread in threads:
            thread.join()


def use_up_the_window(sim) -> None:
    configure(sim, rate_limit="test")
    session = requests.Session()
    for _ in range(25):
        session.get(f"{sim.url}/v1/customers", auth=(DEMO_SECRET_KEY, ""), timeout=5)


@pytest.fixture
def stripe_ready(db, sim, stripe_module):
    plans_sync()
    return sim


def test_a_user_facing_call_rate_limited_for_a_moment_is_retried_and_succeeds(
    stripe_ready, tenant_a
):
    use_up_the_window(stripe_ready)
    refused_before = stripe_ready.api.costs.rate_limited
    started = time.monotonic()
    url, _ = checkout(tenant_a, PRO)  # two calls: the customer, then the session
    assert url.startswith(stripe_ready.url)
    assert stripe_ready.api.costs.rate_limited > refused_before  # it did meet the limit
    assert time.monotonic() - started < 2.5


def test_a_checkout_still_rate_limited_answers_503_with_the_products_message(
    stripe_ready, admin_client_a, settings
):
    settings.STRIPE_RATE_LIMITED_WAIT_SECONDS = 1.0
    with stripe_kept_busy(stripe_ready, seconds=4):
        started = time.monotonic()
        answer = admin_client_a.post(
            "/api/v1/billing/checkout/",
            json.dumps({"plan": "pro", "interval": "month"}),
            content_type="application/json",
        )
        elapsed = time.monotonic() - started
    assert answer.status_code == 503
    assert answer.json() == {"detail": boundary.UNAVAILABLE, "code": "stripe_unavailable"}
    assert elapsed < 2.5  # one call's patience, not the library's 80 s nor a retry per attempt


def test_background_calls_are_retried_past_429s_until_they_get_through(stripe_ready, settings):
    settings.STRIPE_BACKGROUND_RATE_PER_SECOND = 0  # unpaced: these calls meet the limit
    configure(stripe_ready, rate_limit="test")
    customer = stripe.Customer.create(email="busy@example.com")
    failures: list[Exception] = []

    def retrieve_ten() -> None:
        with boundary.background_calls():
            for _ in range(10):
                try:
                    boundary.customer_retrieve(customer_id=customer.id)
                except stripe.StripeError as error:
                    failures.append(error)

    threads = [threading.Thread(target=retrieve_ten) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert stripe_ready.api.costs.rate_limited > 0


def test_user_facing_calls_never_wait_for_the_background_pace(stripe_ready, settings):
    settings.STRIPE_BACKGROUND_RATE_PER_SECOND = 2
    customer = stripe.Customer.create(email="queue@example.com")

    def background_backlog() -> None:
        with boundary.background_calls():
            for _ in range(5):
                boundary.customer_retrieve(customer_id=customer.id)

    backlog = threading.Thread(target=background_backlog)
    backlog_started = time.monotonic()
    backlog.start()
    time.sleep(0.2)  # the backlog holds the next background slots
    started = time.monotonic()
    boundary.customer_retrieve(customer_id=customer.id)
    user_facing = time.monotonic() - started
    backlog.join()
    assert user_facing < 0.3
    assert time.monotonic() - backlog_started >= 1.9  # 5 calls, 0.5 s apart


PACED_CALLS = """
import json, sys, time
import django
django.setup()
from billing.stripe import boundary
print("ready", flush=True)
sys.stdin.readline()
done = []
with boundary.background_calls():
    for _ in range(10):
        boundary.customer_retrieve(customer_id=sys.argv[1])
        done.append(time.time())
print(json.dumps(done), flush=True)
"""


def test_background_calls_of_two_processes_share_one_pace(stripe_ready, settings):
    settings.STRIPE_BACKGROUND_RATE_PER_SECOND = 10
    customer = stripe.Customer.create(email="shared@example.com")
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DJANGO_SETTINGS_MODULE": "loginexus.settings",
        "STRIPE_SIMULATOR_URL": stripe_ready.url,
        "STRIPE_BACKGROUND_RATE_PER_SECOND": "10",
    }
    other = subprocess.Popen(
        [sys.executable, "-c", PACED_CALLS, customer.id],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert other.stdout.readline().strip() == "ready"
    ours: list[float] = []

    def paced_calls() -> None:
        with boundary.background_calls():
            for _ in range(10):
                boundary.customer_retrieve(customer_id=customer.id)
                ours.append(time.time())

    other.stdin.write("go\n")
    other.stdin.flush()
    paced_calls()
    theirs = json.loads(other.stdout.readline())
    other.wait(timeout=10)
    done = sorted(ours + theirs)
    # 20 calls at 10 a second, whoever makes them: no 11 of them within 0.9 s.
    assert min(later - earlier for earlier, later in zip(done, done[10:], strict=False)) >= 0.9
    assert min(theirs) < max(ours) and min(ours) < max(theirs)  # the two ran side by side


def test_a_webhook_processed_while_stripe_rate_limits_is_applied_once_the_limit_lifts(
    committed_tenant, sim, stripe_module, web_server, celery_worker
):
    plans_sync()
    endpoint = webhook_endpoint_ensure(base_url=web_server)
    stripe.WebhookEndpoint.modify(endpoint.id, disabled=True)
    url, _ = checkout(committed_tenant, PRO)
    pay(url)
    # Applying it needs Stripe: the subscription's latest invoice is not stored yet.
    event = stripe.Event.list(type="customer.subscription.created").data[0]
    refused_before = sim.api.costs.rate_limited
    with stripe_kept_busy(sim, seconds=3):
        assert post_event(web_server, endpoint, event.to_dict()).status_code == 200
    trigger = wait_for(
        lambda: WebhookEventTrigger.objects.filter(body__contains=event.id, processed=True).first(),
        timeout=30,
    )
    assert trigger.exception == ""
    assert sim.api.costs.rate_limited > refused_before

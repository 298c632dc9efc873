"""A Celery worker killed (SIGKILL, the whole process group) while it processes a webhook:
tasks are acknowledged late, so the event goes back to the queue and a new worker applies it;
nothing is lost, nothing is applied twice."""

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from djstripe.models import Event, WebhookEventTrigger

from billing.plans import PRO
from billing.stripe.catalog import plans_sync, webhook_endpoint_ensure
from tests.billing.helpers import checkout, entitlement_of, fault, pay, wait_for

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_SECONDS = 3


def start_worker(sim) -> subprocess.Popen:
    """A real worker process on this test database and broker, with a short visibility timeout."""
    url = urlsplit(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": urlunsplit(url._replace(path=f"/{connection.settings_dict['NAME']}")),
        "STRIPE_SIMULATOR_URL": sim.url,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "loginexus", "worker", "--pool", "prefork",
         "--concurrency", "1", "--without-heartbeat", "--without-gossip", "--without-mingle",
         "--loglevel", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip


def kill(worker: subprocess.Popen) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


@pytest.fixture
def only_worker_processes(request):
    """The worker processes started here are the only consumers: the in-process test worker
    (if this session runs one) stops taking tasks meanwhile."""
    in_process = request.getfixturevalue("celery_worker")
    queue = in_process.app.conf.task_default_queue
    in_process.consumer.cancel_task_queue(queue)
    yield
    in_process.consumer.add_task_queue(queue)


def test_a_worker_killed_mid_event_loses_nothing_and_applies_it_once(
    committed_tenant, sim, stripe_module, web_server, only_worker_processes
):
    plans_sync()
    webhook_endpoint_ensure(base_url=web_server)
    url, _ = checkout(committed_tenant, PRO)
    worker = start_worker(sim)
    replacement = None
    try:
        # The first call to Stripe while processing hangs: the worker is caught mid-event.
        requests_held = 1
        fault(sim, "timeout", count=requests_held)
        assert pay(url).status_code == 303
        wait_for(lambda: sim.api.fault is None, message="no event reached Stripe")
        caught = set(
            WebhookEventTrigger.objects.filter(processed=False).values_list("pk", flat=True)
        )
        assert caught
        kill(worker)

        assert sim.wait_for_webhooks(timeout=30)
        replacement = start_worker(sim)
        wait_for(
            lambda: not WebhookEventTrigger.objects.filter(valid=True, processed=False).exists(),
            timeout=60,
            message="the new worker did not finish every event",
        )
    finally:
        for process in (worker, replacement):
            if process is not None and process.poll() is None:
                kill(process)

    delivered = {attempt["event"] for attempt in sim.webhook_attempts() if attempt["status"] == 200}
    triggers = WebhookEventTrigger.objects.filter(valid=True)
    assert triggers.count() == len(delivered)
    assert not triggers.exclude(exception="").exists()
    assert triggers.filter(pk__in=caught, processed=True).count() == len(caught)
    assert set(Event.objects.values_list("id", flat=True)) == delivered  # each applied, once
    entitlement = entitlement_of(committed_tenant)
    assert (entitlement.subscribed_plan, entitlement.status) == ("pro", "active")

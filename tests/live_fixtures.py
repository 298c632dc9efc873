"""Fixtures for tests of what happens across processes and threads: a live web server, a real
Celery worker on the real Redis, and committed data (other threads cannot see a test's
uncommitted transaction), cleaned up by hand afterwards."""

import itertools
import time
from collections.abc import Iterator

import pytest
from amqp.exceptions import ChannelError
from celery.contrib.testing.worker import start_worker
from celery.worker import state as worker_state
from django.apps import apps
from django.db import OperationalError, connection
from django.test.testcases import LiveServerThread, _StaticFilesHandler

from loginexus.celery import app as celery_app

# Loaded as a plugin before Django is set up: models are imported inside the fixtures.

LIVE_PASSWORD = "correct-horse-battery-staple"
_slugs = itertools.count(1)


@pytest.fixture(scope="session")
def web_server(django_db_setup) -> Iterator[str]:
    """The whole app served over HTTP on a free port; its origin on the public host."""
    server = LiveServerThread("localhost", _StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    yield f"http://localhost:{server.port}"
    server.terminate()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real worker consuming from the real Redis broker, in a thread of this process."""
    with (
        django_db_blocker.unblock(),
        start_worker(
            celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10
        ) as worker,
    ):
        yield worker


def _purge_billing_data() -> None:
    """Empty dj-stripe's and billing's tables (Stripe's side is reset with the simulator)."""
    tables = [
        model._meta.db_table
        for label in ("djstripe", "billing")
        for model in apps.get_app_config(label).get_models()
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Real commits, visible to the web server and the worker; billing data purged afterwards."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()
        _purge_billing_data()


@pytest.fixture
def committed_tenant(committed_db):
    """A tenant provisioned and committed for this test alone, dropped with its schema after."""
    from loginexus.tenancy.services import tenant_provision

    slug = f"live-{next(_slugs)}"
    tenant = tenant_provision(
        company=f"Live {slug}",
        slug=slug,
        admin_email=f"admin@{slug}.example",
        admin_password=LIVE_PASSWORD,
        owner_verified=True,
    )
    yield tenant
    connection.set_schema_to_public()
    for attempt in range(3):
        try:
            tenant.delete(force_drop=True)
            return
        except OperationalError:  # a straggling task held the schema's tables: it lost or we did
            if attempt == 2:
                raise


def _worker_idle() -> bool:
    """Nothing queued in Redis, nothing received (waiting for its retry time) or running."""
    if worker_state.active_requests or worker_state.reserved_requests:
        return False
    with celery_app.connection_for_read() as conn:
        try:
            queue = conn.default_channel.queue_declare(
                queue=celery_app.conf.task_default_queue, passive=True
            )
        except ChannelError:  # Redis keeps no empty list: no queue is an empty queue
            return True
    return queue.message_count == 0


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item) -> None:
    """Before a test that ran the worker loses its fixtures (its tenant's schema dropped, Stripe
    pointed elsewhere, billing data purged), let what it set going finish: the simulator's
    webhooks delivered and the worker idle. A test that leaves tasks retrying on purpose gets a
    bounded wait; its fixtures then go regardless."""
    values = getattr(item, "funcargs", {})
    if "celery_worker" not in values:
        return
    deadline = time.monotonic() + 20
    simulator = values.get("stripe_simulator")
    if simulator is not None:
        simulator.wait_for_webhooks(timeout=20)
    while time.monotonic() < deadline and not _worker_idle():
        time.sleep(0.05)

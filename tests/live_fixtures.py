"""Fixtures for tests of what happens across processes and threads: a live web server, a real
Celery worker on the real Redis, and committed data (other threads cannot see a test's
uncommitted transaction), cleaned up by hand afterwards."""

import itertools
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.apps import apps
from django.db import connection
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
    )
    yield tenant
    connection.set_schema_to_public()
    tenant.delete(force_drop=True)

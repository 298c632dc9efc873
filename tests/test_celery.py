"""Celery on the real Redis with a real worker: a task sent from a tenant's schema runs in it."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import schema_context

from loginexus.celery import app


@app.task(name="tests.schema_and_users", ignore_result=False)
def schema_and_users() -> dict:
    return {
        "schema": connection.schema_name,
        "users": sorted(get_user_model().objects.values_list("email", flat=True)),
    }


@pytest.mark.django_db
def test_task_sent_from_a_tenant_runs_in_that_tenants_schema(celery_worker, tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        from_a = schema_and_users.delay()
    with schema_context(tenant_b.schema_name):
        from_b = schema_and_users.delay()

    assert from_a.get(timeout=20) == {"schema": "t_alpha", "users": ["admin@alpha.example"]}
    assert from_b.get(timeout=20) == {"schema": "t_bravo", "users": ["admin@bravo.example"]}


@pytest.mark.django_db
def test_task_sent_from_the_public_schema_runs_in_the_public_schema(celery_worker):
    assert schema_and_users.delay().get(timeout=20)["schema"] == "public"


@app.task(name="tests.database_session", ignore_result=False)
def database_session(conn_max_age: int | None = None, *, close: bool = False) -> int:
    """The worker's PostgreSQL session; with `conn_max_age`, Django's CONN_MAX_AGE becomes it
    from the worker's next connection on; with `close`, the session ends with the task."""
    if conn_max_age is not None:
        connection.settings_dict["CONN_MAX_AGE"] = conn_max_age
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    if close:
        connection.close()
    return pid


@pytest.mark.django_db
def test_a_worker_keeps_its_database_session_across_tasks_as_conn_max_age_allows(celery_worker):
    """Celery's Django fixup would close it around every task (a new PostgreSQL session, its
    caches cold, for each); the worker follows CONN_MAX_AGE as requests do."""
    kept_for = connection.settings_dict["CONN_MAX_AGE"]
    assert kept_for == 0  # the tests' setting: every task gets a session of its own
    first = database_session.delay().get(timeout=20)
    assert database_session.delay().get(timeout=20) != first
    try:
        database_session.delay(60).get(timeout=20)  # that task's session still closes after it
        reused = database_session.delay().get(timeout=20)
        assert database_session.delay().get(timeout=20) == reused
        assert database_session.delay().get(timeout=20) == reused
    finally:
        database_session.delay(kept_for, close=True).get(timeout=20)
    last = database_session.delay().get(timeout=20)
    assert database_session.delay().get(timeout=20) != last

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

"""The Celery worker of bench/webhook_storm.py: the product's webhook task under its own name,
applying events from their bodies or, with BENCH_STORM_PATH=refetching, through dj-stripe's
re-fetching processing (how events were applied before). Each process counts the statements its
tasks send to PostgreSQL, in Redis, for the benchmark to read.

A Celery app of its own, with that one task registered before any other can take the name.
"""

import os
from functools import cache

import redis
from celery.signals import task_postrun, worker_process_init
from tenant_schemas_celery.app import CeleryApp
from tenant_schemas_celery.task import TenantTask

from bench._storm_run import QUERIES_KEY, TASKS_KEY

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loginexus.settings")

app = CeleryApp("bench-webhook-storm")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _retryable():
    from billing.exceptions import StripeUnavailable

    return (StripeUnavailable,)


@app.task(
    name="billing.tasks.webhook_trigger_process_task",
    base=TenantTask,
    lazy=False,
    bind=True,
    acks_late=True,
    max_retries=8,
)
def webhook_trigger_process_task(self, trigger_id: int) -> None:
    from billing.stripe import boundary
    from billing.stripe.event_sync import event_apply, event_apply_refetching
    from billing.stripe.webhooks import webhook_trigger_process

    refetching = os.environ.get("BENCH_STORM_PATH") == "refetching"
    try:
        with boundary.background_calls():
            webhook_trigger_process(
                trigger_id=trigger_id, apply=event_apply_refetching if refetching else event_apply
            )
    except _retryable() as error:  # as the product's task: retried with backoff
        raise self.retry(exc=error, countdown=min(600, 2 ** (self.request.retries + 1))) from error


@worker_process_init.connect
def _count_queries(**_) -> None:
    from django.db import connection

    connection.force_debug_cursor = True


@cache
def _redis() -> redis.Redis:
    from django.conf import settings

    return redis.Redis.from_url(settings.REDIS_URL)


@task_postrun.connect
def _report_queries(**_) -> None:
    from django.db import connection

    count = len(connection.queries_log)
    connection.queries_log.clear()
    _redis().incrby(QUERIES_KEY, count)
    _redis().incr(TASKS_KEY)

"""Billing's tasks on the real worker when what they name is gone (a deleted tenant, or a task
left in the queue by another database's run): they end quietly, with a line at info."""

import logging

import pytest
from django_tenants.utils import schema_context

from billing.tasks import (
    entitlement_reconcile_task,
    usage_warning_email_task,
    webhook_trigger_process_task,
)

GONE = 987_654_321  # no tenant and no trigger has this id
TASKS = {
    "usage warning": (usage_warning_email_task, (GONE, "shipments", 80)),
    "entitlement reconcile": (entitlement_reconcile_task, (GONE,)),
    "webhook trigger": (webhook_trigger_process_task, (GONE,)),
}


@pytest.mark.parametrize("name", TASKS)
def test_a_task_for_a_tenant_or_trigger_that_no_longer_exists_ends_quietly(
    celery_worker, caplog, name
):
    task, args = TASKS[name]
    caplog.set_level(logging.INFO)
    # Sent as the limit check sends its warning: from inside the tenant's schema (gone too).
    with schema_context("t_gone"):
        result = task.apply_async(args, ignore_result=False)

    assert result.get(timeout=20) is None
    assert result.successful()
    said = [record for record in caplog.records if f"{GONE} no longer exists" in record.message]
    assert [record.levelno for record in said] == [logging.INFO]
    troubles = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert not troubles, [record.getMessage() for record in troubles]
    assert not [record for record in caplog.records if record.exc_info]

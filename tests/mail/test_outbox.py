"""Email: rendered from templates into an outbox row written with the change, delivered by the
real Celery worker after the commit, once, and also written as an .eml file people can open."""

import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from billing.plans import Resource
from billing.services import usage_warning_send
from loginexus.mail.models import OutgoingEmail
from loginexus.mail.services import email_deliver, email_send, emails_unsent_requeue
from tests.billing.helpers import wait_for
from tests.conftest import on_plan

FILE_NAME = re.compile(r"^\d{8}T\d{12}Z-\d+\.eml$")


def usage_email(tenant):
    return {
        "to": [f"admin@{tenant.slug}.example"],
        "template": "usage_warning",
        "tenant": tenant,
        "context": {
            "resource": "shipments",
            "threshold": 80,
            "usage": {"used": 40, "limit": 50},
            "plan": {"name": "Free"},
            "pricing_url": "http://example.invalid/billing/pricing/",
        },
    }


def test_the_worker_delivers_an_email_after_the_commit_as_text_html_and_an_eml_file(
    committed_tenant, celery_worker, mailbox
):
    with transaction.atomic():
        email = email_send(**usage_email(committed_tenant))
        time.sleep(0.3)  # the worker is idle and listening: nothing may leave before the commit
        assert mailbox.messages() == []

    wait_for(lambda: mailbox.messages(), message="no .eml file was written")
    (message,) = mailbox.messages()
    assert message["To"] == f"admin@{committed_tenant.slug}.example"
    assert message["Subject"] == (
        f"LogiNexus: {committed_tenant.name} has used 80 % of its Free shipments"
    )
    assert message["Message-ID"] == f"<{email.pk}@localhost>"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"{committed_tenant.name}: 40 of 50 shipments are used this period." in text
    assert f"LogiNexus · {committed_tenant.name}" in html
    assert FILE_NAME.match(next(mailbox.directory.glob("*.eml")).name)
    delivered = OutgoingEmail.objects.get(pk=email.pk)
    assert delivered.sent_at is not None and delivered.attempts == 1


def test_nothing_is_queued_or_sent_when_the_change_rolls_back(
    db, tenant_a, mailbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        email_send(**usage_email(tenant_a))
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert not OutgoingEmail.objects.filter(tenant=tenant_a, template="usage_warning").exists()
    assert mailbox.messages() == []


def test_a_queued_email_is_delivered_once_however_often_its_task_runs(db, tenant_a, mailbox):
    email = email_send(**usage_email(tenant_a))
    assert email_deliver(email_id=email.pk) is True
    assert email_deliver(email_id=email.pk) is False
    assert len(mailbox.messages()) == 1
    assert len(mail.outbox) == 1


def test_an_email_whose_task_was_lost_is_queued_again_and_delivered(
    committed_tenant, celery_worker, mailbox
):
    lost = OutgoingEmail.objects.create(
        tenant=committed_tenant,
        template="usage_warning",
        to=["admin@example.invalid"],
        subject="Lost with the broker",
        text="Hello",
        queued_at=timezone.now() - timedelta(minutes=5),
    )
    recent = OutgoingEmail.objects.create(
        tenant=committed_tenant, template="usage_warning", to=["x@example.invalid"],
        subject="Still on its way", text="Hello",
    )  # fmt: skip

    assert emails_unsent_requeue(older_than=timedelta(minutes=2)) == [lost.pk]

    wait_for(lambda: OutgoingEmail.objects.get(pk=lost.pk).sent_at, message="not delivered")
    assert [message["Subject"] for message in mailbox.messages()] == ["Lost with the broker"]
    assert OutgoingEmail.objects.get(pk=recent.pk).sent_at is None
    assert emails_unsent_requeue(older_than=timedelta(minutes=2)) == []  # queued_at moved


def test_the_usage_warning_names_the_workspace_and_links_to_its_pricing(db, tenant_a, mailbox):
    on_plan(tenant_a, "free")
    assert usage_warning_send(tenant=tenant_a, resource=Resource.ESCROWS, threshold=100) == 1
    email = OutgoingEmail.objects.get(tenant=tenant_a, template="usage_warning")
    assert email.tenant == tenant_a
    assert email.subject == "LogiNexus: Alpha Freight has reached its Free limit of escrows"
    assert "http://alpha.localhost:8000/billing/pricing/" in email.text
    assert 'href="http://alpha.localhost:8000/billing/pricing/"' in email.html

"""Celery tasks of email: deliver one, and the sweeper for what a lost task left unsent."""

from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from loginexus.celery import PublicSchemaTask
from loginexus.mail.services import email_deliver, emails_unsent_requeue


@shared_task(
    base=PublicSchemaTask,
    autoretry_for=(OSError, SMTPException),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
)
def email_deliver_task(email_id: str) -> bool:
    return email_deliver(email_id=email_id)


@shared_task(base=PublicSchemaTask)
def emails_unsent_requeue_task() -> int:
    older_than = timedelta(seconds=settings.EMAIL_REQUEUE_AFTER_SECONDS)
    return len(emails_unsent_requeue(older_than=older_than))

"""Writes of email: render and queue a message (the one way the product sends email), deliver a
queued one (idempotent), queue again what a lost task left behind."""

import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from loginexus.i18n.activation import written_for
from loginexus.mail.models import OutgoingEmail
from loginexus.tenancy.models import Tenant

logger = logging.getLogger(__name__)


def _render(template: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
    subject = render_to_string(f"emails/{template}_subject.txt", context)
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    return " ".join(subject.split()), text, html


@transaction.atomic
def email_send(
    *,
    to: Iterable[str],
    template: str,
    context: Mapping[str, Any] | None = None,
    tenant: Tenant | None = None,
    person: Any = None,
    language: str | None = None,
) -> OutgoingEmail | None:
    """Render `emails/<template>_subject.txt`, `.txt` and `.html` with `context` (plus the
    workspace, so every email names it) and queue the message for delivery once the caller's
    transaction commits. Nothing is sent if it rolls back. None when there is nobody to send to.

    Written in `language`, else the recipient `person`'s, else the workspace's, with dates in
    the person's or the workspace's time zone."""
    to = list(to)
    if not any(to):
        return None
    with written_for(person, tenant, language=language):
        subject, text, html = _render(template, {"workspace": tenant, **(context or {})})
    return email_queue(
        to=to, template=template, subject=subject, text=text, html=html, tenant=tenant
    )


@transaction.atomic
def email_queue(
    *,
    to: Iterable[str],
    template: str,
    subject: str,
    text: str,
    html: str = "",
    tenant: Tenant | None = None,
) -> OutgoingEmail | None:
    """Queue a message already rendered (by `email_send`, or by django-allauth from its own
    templates) for delivery once the caller's transaction commits."""
    recipients = sorted({address for address in to if address})
    if not recipients:
        return None
    email = OutgoingEmail.objects.create(
        tenant=tenant, template=template, to=recipients, subject=subject, text=text, html=html
    )
    transaction.on_commit(partial(_enqueue, email.pk))
    return email


def _enqueue(email_id) -> None:
    from loginexus.mail.tasks import email_deliver_task  # the task module imports this one

    email_deliver_task.delay(str(email_id))


def _message(email: OutgoingEmail) -> EmailMultiAlternatives:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        to=email.to,
        headers={"Message-ID": f"<{email.pk}@{domain}>"},
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    return message


def email_deliver(*, email_id) -> bool:
    """Send a queued email once: the row is locked while it is sent and marked sent in the same
    transaction, so a duplicate task finds it sent (or locked, and leaves it to the holder).
    A failure is recorded on the row and raised, so the task retries."""
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, sent_at__isnull=True)
            .first()
        )
        if email is None:
            return False
        email.attempts += 1
        try:
            _message(email).send()
        except OSError as error:
            OutgoingEmail.objects.filter(pk=email.pk).update(
                attempts=email.attempts, last_error=str(error)[:2000]
            )
            raise
        email.sent_at = timezone.now()
        email.last_error = ""
        email.save(update_fields=["attempts", "sent_at", "last_error"])
    return True


def emails_unsent_requeue(*, older_than: timedelta, limit: int = 500) -> list:
    """Queue again emails still unsent well after they were queued (their task was lost with
    the broker); queuing moves `queued_at`, so each is queued at most once per `older_than`."""
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        ids = list(
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, queued_at__lt=cutoff)
            .order_by("queued_at")
            .values_list("pk", flat=True)[:limit]
        )
        OutgoingEmail.objects.filter(pk__in=ids).update(queued_at=timezone.now())
        for email_id in ids:
            transaction.on_commit(partial(_enqueue, email_id))
    if ids:
        logger.info("queued %s unsent email(s) again", len(ids))
    return ids

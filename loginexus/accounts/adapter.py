"""What django-allauth does differently here: every workspace is a host of its own (links point
to the workspace's host, not to the request's), nobody signs up on a workspace's host, and its
emails go through the product's outbox (sent by Celery after commit, in the recipient's
language, naming the workspace)."""

from types import SimpleNamespace
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django_tenants.utils import get_public_schema_name

from billing.selectors import current_tenant
from loginexus.i18n.activation import written_for
from loginexus.mail.services import email_queue
from loginexus.tenancy.selectors import tenant_url

# Links in emails point to a workspace's pages, whichever host the email is sent from.
TENANT_URLS = settings.ROOT_URLCONF


def _workspace():
    """The workspace whose schema is in use (None on the public schema)."""
    if connection.schema_name == get_public_schema_name():
        return None
    return current_tenant()


def workspace_url(path: str) -> str:
    """An absolute URL of `path` on the current workspace's host, from settings (never from a
    request's Host header), so links made outside a request (signup) point to the right host."""
    return tenant_url(tenant=_workspace()).rstrip("/") + path


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False  # workspaces are made on the public host; people join one by invitation

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return workspace_url(
            reverse("account_confirm_email", args=[emailconfirmation.key], urlconf=TENANT_URLS)
        )

    def get_reset_password_from_key_url(self, key: str) -> str:
        uid, _, token = key.partition("-")
        return workspace_url(
            reverse(
                "account_reset_password_from_key",
                kwargs={"uidb36": uid, "key": token},
                urlconf=TENANT_URLS,
            )
        )

    def format_email_subject(self, subject: str) -> str:
        workspace = _workspace()
        return f"[{workspace.name}] {subject}" if workspace else f"[LogiNexus] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        from loginexus.accounts.models import User

        workspace = _workspace()
        site = SimpleNamespace(
            name=f"LogiNexus · {workspace.name}" if workspace else "LogiNexus",
            domain=workspace_url("/").split("://", 1)[1].rstrip("/") if workspace else "",
        )
        person = (
            User.objects.with_email(email).only("language", "time_zone").first()
            if workspace
            else None
        )
        with written_for(person, workspace):
            message = self.render_mail(
                template_prefix,
                email,
                {"email": email, "current_site": site, "workspace": workspace, **context},
            )
            alternatives = getattr(message, "alternatives", [])
            html = next((body for body, kind in alternatives if kind == "text/html"), "")
            html = html or render_to_string(
                "emails/_text.html", {"workspace": workspace, "text": message.body}
            )
        email_queue(
            to=message.to,
            template=template_prefix.rsplit("/", 1)[-1],
            subject=message.subject,
            text=message.body,
            html=html,
            tenant=workspace,
        )


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_issuer(self) -> str:
        """The authenticator app lists the workspace, as one person may belong to several."""
        workspace = _workspace()
        issuer = settings.MFA_TOTP_ISSUER
        return f"{issuer} ({workspace.name})" if workspace else issuer

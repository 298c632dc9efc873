"""Writes of tenancy: provisioning a tenant (cloned schema, domain, first admin), suspending it."""

from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.clone import CloneSchema
from django_tenants.utils import get_public_schema_name, schema_context

from loginexus.accounts.models import Role, User
from loginexus.accounts.services import (
    email_address_record,
    email_verification_send,
    login_link_create,
    user_create,
)
from loginexus.mail.services import email_send
from loginexus.tenancy.exceptions import SignupUnavailable, SlugTaken
from loginexus.tenancy.models import Domain, Tenant
from loginexus.tenancy.selectors import tenant_host, tenant_url, workspaces_of
from loginexus.tenancy.template import template_missing_migrations, template_schema_name
from loginexus.tenancy.validators import schema_name_for_slug


def tenant_provision(
    *,
    company: str,
    slug: str,
    admin_email: str,
    admin_password: str,
    owner_verified: bool = False,
) -> Tenant:
    """Create a tenant, its schema (a clone of the template), its domain and its first admin,
    who is emailed a link that verifies the address (unless `owner_verified`: the address is
    known already, as the demo's is).

    All of it happens in one transaction (PostgreSQL's DDL is transactional), so a failure leaves
    nothing behind. A template that lags behind the code refuses signup rather than migrating here.
    """
    if template_missing_migrations():
        raise SignupUnavailable(
            _(
                "Signup is briefly unavailable while LogiNexus is being upgraded; try again in "
                "a few minutes."
            )
        )
    if Tenant.objects.filter(slug=slug).exists():
        raise SlugTaken(_("This slug is already taken."))
    tenant = Tenant(
        name=company, slug=slug, email=admin_email.lower(), schema_name=schema_name_for_slug(slug)
    )
    tenant.full_clean(validate_unique=False)
    with transaction.atomic():
        try:
            tenant.save()
        except IntegrityError as error:
            # A concurrent signup took the slug between our check and our insert: the insert
            # waited on the unique index until that signup committed.
            raise SlugTaken(_("This slug is already taken.")) from error
        CloneSchema().clone_schema(template_schema_name(), tenant.schema_name, "DATA")
        Domain.objects.create(domain=tenant_host(slug=slug), tenant=tenant, is_primary=True)
        with schema_context(tenant.schema_name):
            owner = user_create(email=admin_email, password=admin_password, role=Role.ADMIN)
            if owner_verified:
                email_address_record(user=owner, verified=True)
            else:
                email_verification_send(user=owner, signup=True)
    return tenant


def tenant_first_login_url(*, tenant: Tenant, admin_email: str) -> str:
    """Where a new workspace's owner lands straight after signup: a one-time link on the
    workspace's host that signs them in (valid for LOGIN_LINK_SECONDS, used once)."""
    with schema_context(tenant.schema_name):
        secret = login_link_create(user=User.objects.with_email(admin_email).get())
    return tenant_url(tenant=tenant) + f"accounts/link/{secret}/"


def public_tenant_ensure() -> Tenant:
    """The row that routes BASE_DOMAIN to the public schema (idempotent)."""
    public = get_public_schema_name()
    tenant, _ = Tenant.objects.get_or_create(
        schema_name=public, defaults={"name": "LogiNexus", "slug": public}
    )
    Domain.objects.update_or_create(
        domain=settings.BASE_DOMAIN, defaults={"tenant": tenant, "is_primary": True}
    )
    return tenant


@transaction.atomic
def tenant_suspend(*, tenant: Tenant, reason: str) -> Tenant:
    """Staff: the tenant's hosts answer with a suspended page; its data stays as it is."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    tenant.suspended_at = tenant.suspended_at or timezone.now()
    tenant.suspended_reason = reason
    tenant.full_clean(exclude=["slug", "schema_name"], validate_unique=False)
    tenant.save(update_fields=["suspended_at", "suspended_reason"])
    return tenant


@transaction.atomic
def tenant_unsuspend(*, tenant: Tenant) -> Tenant:
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    tenant.suspended_at, tenant.suspended_reason = None, ""
    tenant.save(update_fields=["suspended_at", "suspended_reason"])
    return tenant


def workspaces_find_request(*, email: str, language: str | None = None) -> None:
    """Someone asks which workspaces their address belongs to: the answer goes to that address
    only, from a worker, so the asker learns nothing from the answer or its timing. Written in
    `language` (the asker's page's: no workspace or person is known yet)."""
    from loginexus.tenancy.tasks import workspaces_find_task  # the task module imports this one

    transaction.on_commit(partial(workspaces_find_task.delay, email, language))


def workspaces_find_send(*, email: str, language: str | None = None) -> bool:
    """Email `email` the workspaces where it has an active account, in `language`; nothing
    when it has none."""
    workspaces = workspaces_of(email=email)
    if not workspaces:
        return False
    email_send(
        to=[email],
        template="workspaces_found",
        language=language,
        context={
            "workspaces": [
                {"name": tenant.name, "url": tenant_url(tenant=tenant)} for tenant in workspaces
            ]
        },
    )
    return True

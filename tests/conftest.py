"""Shared fixtures: one test database per session, tenants made once per session, host clients.

The bulk of the suite builds its tables straight from the models (`--no-migrations`), which
takes seconds instead of over a minute; tests/test_migrations.py runs the real migrations.
"""

import itertools

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import setup_databases, teardown_databases
from django_tenants.utils import schema_context

from loginexus.accounts.models import Role
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.resolution import tenants_by_host
from loginexus.tenancy.selectors import tenant_host
from loginexus.tenancy.services import public_tenant_ensure, tenant_provision

PASSWORD = "correct-horse-battery-staple"


class _NoMigrations:
    """MIGRATION_MODULES that makes every app unmigrated: tables come straight from the models."""

    def __contains__(self, app_label: str) -> bool:
        return True

    def __getitem__(self, app_label: str) -> None:
        return None


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker, django_db_use_migrations):
    """One test database for the session, whichever tests were selected: tests that commit for
    other threads (tests/live_fixtures.py) need it as much as those in a transaction."""
    if not django_db_use_migrations:
        settings.MIGRATION_MODULES = _NoMigrations()
    with django_db_blocker.unblock():
        databases = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        public_tenant_ensure()
    yield
    with django_db_blocker.unblock():
        # Threads that served live requests or ran tasks may still hold a connection.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        teardown_databases(databases, verbosity=0)


def _session_tenant(django_db_blocker, slug: str) -> Tenant:
    with django_db_blocker.unblock():
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            tenant = tenant_provision(
                company=f"{slug.title()} Freight",
                slug=slug,
                admin_email=f"admin@{slug}.example",
                admin_password=PASSWORD,
                owner_verified=True,  # established workspaces (signup tests make their own)
            )
        return tenant


@pytest.fixture(scope="session")
def tenant_a(django_db_setup, django_db_blocker) -> Tenant:
    return _session_tenant(django_db_blocker, "alpha")


@pytest.fixture(scope="session")
def tenant_b(django_db_setup, django_db_blocker) -> Tenant:
    return _session_tenant(django_db_blocker, "bravo")


@pytest.fixture(scope="session", autouse=True)
def _emails_written_as_files(django_test_environment):
    """Django's test set-up swaps the email backend for its in-memory one; the product's own
    backend goes back in front of it, so emails are also written as .eml files in tests (and
    `mail.outbox` still holds them)."""
    settings.EMAIL_BACKEND = "loginexus.mail.backends.EmlFileBackend"
    settings.EMAIL_INNER_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def mailbox(settings, tmp_path) -> "Mailbox":
    """The .eml files this test's emails are written to, parsed."""
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return Mailbox(tmp_path / "mail")


class Mailbox:
    def __init__(self, directory) -> None:
        self.directory = directory

    def messages(self) -> list:
        import email
        from email import policy

        if not self.directory.exists():
            return []
        return [
            email.message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(self.directory.glob("*.eml"))
        ]


@pytest.fixture(autouse=True)
def _public_schema_after_each_test():
    """A request to a tenant host leaves the connection in that tenant's schema; start clean."""
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and cached entries never leak from one test into the next."""
    cache.clear()


@pytest.fixture
def hosts_kept(settings):
    """As in production: each host's workspace is kept by the process (tests look it up on every
    request), so a warm request reads no domain, which would select the public schema and back."""
    settings.TENANT_HOST_CACHE_SECONDS = 60.0
    tenants_by_host.clear()
    yield
    tenants_by_host.clear()


def host_client(host: str, **defaults) -> Client:
    return Client(HTTP_HOST=host, **defaults)


@pytest.fixture
def public_client(db) -> Client:
    return host_client("localhost")


@pytest.fixture
def client_a(db, tenant_a) -> Client:
    return host_client(tenant_host(slug=tenant_a.slug))


@pytest.fixture
def client_b(db, tenant_b) -> Client:
    return host_client(tenant_host(slug=tenant_b.slug))


def tenant_user(tenant: Tenant, *, role: str = Role.MEMBER, email: str | None = None):
    """Create a user in the tenant's schema (inside the test's transaction)."""
    with schema_context(tenant.schema_name):
        return get_user_model().objects.create_user(
            email or f"{role}-{get_user_model().objects.count()}@{tenant.slug}.example",
            PASSWORD,
            role=role,
        )


def admin_of(tenant: Tenant):
    with schema_context(tenant.schema_name):
        return get_user_model().objects.get(email=f"admin@{tenant.slug}.example")


def logged_in(client: Client, tenant: Tenant, user) -> Client:
    """Log `user` into `client` with a session stored in the tenant's schema."""
    with schema_context(tenant.schema_name):
        client.force_login(user)
    return client


def staff_member(*, email: str = "staff@loginexus.example", permissions: tuple[str, ...] = ()):
    """Platform staff in the public schema: `is_staff`, with the given permissions
    ("app_label.codename"), and nothing else."""
    from django.contrib.auth.models import Permission

    staff = get_user_model().objects.create_user(email, PASSWORD, is_staff=True)
    for permission in permissions:
        app_label, codename = permission.split(".")
        staff.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return get_user_model().objects.get(pk=staff.pk)  # no cached permissions


def staff_member_remove(staff) -> None:
    """Delete committed platform staff (live tests). By hand: the model's delete would also look
    for API tokens, which live in tenant schemas only."""
    from django.contrib.admin.models import LogEntry

    LogEntry.objects.filter(user_id=staff.pk).delete()
    staff.user_permissions.clear()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM public.accounts_user WHERE id = %s", [staff.pk])


@pytest.fixture
def superuser_client(public_client) -> Client:
    """The public host's admin, logged in as a superuser (every permission)."""
    superuser = get_user_model().objects.create_superuser("root@loginexus.example", PASSWORD)
    public_client.force_login(superuser)
    return public_client


@pytest.fixture
def admin_client_a(client_a, tenant_a) -> Client:
    return logged_in(client_a, tenant_a, admin_of(tenant_a))


@pytest.fixture
def member_client_a(client_a, tenant_a) -> Client:
    return logged_in(client_a, tenant_a, tenant_user(tenant_a, email="member@alpha.example"))


_references = itertools.count(1)
# The transitions that walk a new shipment or escrow to a status.
SHIPMENT_PATHS = {
    "draft": [],
    "booked": ["booked"],
    "in_transit": ["booked", "in_transit"],
    "delivered": ["booked", "in_transit", "delivered"],
    "cancelled": ["cancelled"],
}
ESCROW_PATHS = {
    "open": [],
    "funded": ["funded"],
    "disputed": ["funded", "disputed"],
    "refunded": ["funded", "refunded"],
}


def make_shipment(tenant: Tenant, *, status: str = "draft", **fields):
    """A shipment made through the service (and walked to `status` through its transitions)."""
    from shipments.services import shipment_create, shipment_transition

    values = {
        "reference": f"REF-{next(_references):05d}",
        "origin": "Rotterdam",
        "destination": "Hamburg",
        "carrier": "DHL",
        "weight_kg": "12.500",
        **fields,
    }
    with schema_context(tenant.schema_name):
        shipment = shipment_create(**values)
        for step in SHIPMENT_PATHS[status]:
            shipment = shipment_transition(shipment=shipment, to_status=step, actor=None)
    return shipment


def make_escrow(tenant: Tenant, *, shipment=None, status: str = "open", **fields):
    """An escrow made through the service for `shipment` (a new draft one by default)."""
    from escrows.services import escrow_create, escrow_transition

    shipment = shipment or make_shipment(tenant)
    values = {"buyer": "Buyer BV", "seller": "Seller GmbH", "amount": "1500.00", "currency": "EUR"}
    with schema_context(tenant.schema_name):
        escrow = escrow_create(shipment=shipment, **{**values, **fields})
        for step in ESCROW_PATHS[status]:
            escrow = escrow_transition(escrow=escrow, to_status=step, actor=None)
    return escrow


def on_plan(tenant: Tenant, plan: str, *, status: str = "active", **fields):
    """Put the tenant on `plan` (as its entitlement, inside the test's transaction)."""
    from billing.models import Entitlement

    entitlement, _ = Entitlement.objects.update_or_create(
        tenant=tenant, defaults={"subscribed_plan": plan, "status": status, **fields}
    )
    return entitlement

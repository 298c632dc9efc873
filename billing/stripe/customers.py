"""A tenant's Stripe customer carries the workspace's billing details (name, billing email,
address, tax ID), so Stripe's invoices show them: what to create it with and how to bring it in
line after a change. Stripe is reached through the boundary only."""

from typing import Any

from django.db import connection

from billing.stripe import boundary
from loginexus.tenancy.models import Tenant

# Advisory lock class of "writes to a tenant's Stripe customer" (event_sync's is 0x5EC0).
_CUSTOMER_LOCK = 0x5EC1


def customer_lock(*, tenant: Tenant) -> None:
    """Within the current transaction, one writer at a time to the tenant's Stripe customer:
    creating it, and changing the billing details it carries. So a customer being created
    never misses a change saved meanwhile, and two saves reach Stripe in the order they commit.
    Unlike a lock on the tenant's row, it never holds up the seat check."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_CUSTOMER_LOCK, tenant.pk])


def customer_address(tenant: Tenant) -> dict[str, str] | None:
    """The billing address as Stripe's `address`: only the parts given (Stripe refuses an empty
    one), or none."""
    parts = {part: value for part, value in tenant.billing_address.items() if value}
    return parts or None


def customer_details(tenant: Tenant) -> dict[str, Any]:
    """What a new customer is created with, beyond its metadata."""
    return {
        # Staff may clear the billing email; Stripe refuses an empty one.
        "email": tenant.email or None,
        "name": tenant.name,
        "address": customer_address(tenant),
        "tax_id": tenant.tax_id,
    }


def customer_details_push(*, tenant: Tenant, customer_id: str) -> None:
    """Make the Stripe customer carry the tenant's billing details as they are now.

    Stripe has no call that replaces a tax ID: the new one is created first (Stripe refuses a
    malformed value before anything has changed, and the customer is never without one), then
    the name, email and address are set, then the tax IDs that are no longer the tenant's are
    deleted. Each step sets the customer to the tenant's state rather than applying a change,
    so pushing again after a failure part-way completes the work and changes nothing twice.
    """
    wanted = tenant.tax_id
    held = boundary.customer_tax_ids(customer_id=customer_id)
    kept = next(
        (t for t in held if wanted and (t.type, t.value) == (wanted["type"], wanted["value"])),
        None,
    )
    if wanted and kept is None:
        boundary.customer_tax_id_create(
            customer_id=customer_id, tax_type=wanted["type"], value=wanted["value"]
        )
    boundary.customer_modify(
        customer_id=customer_id,
        name=tenant.name,
        email=tenant.email or None,
        address=customer_address(tenant),
    )
    for stale in held:
        if stale is not kept:
            boundary.customer_tax_id_delete(customer_id=customer_id, tax_id=stale.id)

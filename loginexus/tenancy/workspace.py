"""Workspace settings (admins): the workspace's name, billing email, billing address, tax ID,
language and time zone. The billing details are also its Stripe customer's, so a change is
saved only once Stripe has it."""

from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from billing.exceptions import StripeUnavailable, TaxIdInvalid
from billing.selectors import customer_get
from billing.stripe.customers import customer_details, customer_details_push, customer_lock
from loginexus.tenancy.models import ADDRESS_PARTS, Tenant
from loginexus.tenancy.validators import tax_id_value_normalised

SETTINGS = ("name", "billing_email", "billing_address", "tax_id", "language", "time_zone")
_ADDRESS_COLUMNS = [f"billing_address_{part}" for part in ADDRESS_PARTS]
_COLUMNS = ["name", "email", *_ADDRESS_COLUMNS, "tax_id_type", "tax_id_value"]
_COLUMNS += ["language", "time_zone"]


def _apply(tenant: Tenant, changes: dict[str, Any]) -> None:
    if "name" in changes:
        tenant.name = changes["name"].strip()
    if "billing_email" in changes:
        tenant.email = changes["billing_email"].strip().lower()
    if "billing_address" in changes:
        # The parts given replace those stored, the others stay; None clears the address.
        address = changes["billing_address"]
        for part in ADDRESS_PARTS:
            if address is None or part in address:
                value = ((address or {}).get(part) or "").strip()
                setattr(tenant, f"billing_address_{part}", value)
        tenant.billing_address_country = tenant.billing_address_country.upper()
    if "tax_id" in changes:
        tax_id = changes["tax_id"] or {}
        tenant.tax_id_type = tax_id.get("type", "").strip()
        tenant.tax_id_value = tax_id_value_normalised(tenant.tax_id_type, tax_id.get("value", ""))
    for key in ("language", "time_zone"):
        if key in changes:
            setattr(tenant, key, changes[key])


def workspace_update(*, tenant: Tenant, **changes: Any) -> Tenant:
    """Change some of the workspace's SETTINGS (`billing_address` a dict of some of its parts,
    `tax_id` a `{"type", "value"}` dict or None) and answer the tenant as saved.

    The whole result is validated first (ValidationError, by the model's field names). Then, if
    the billing details changed and the tenant has a Stripe customer, the customer is brought in
    line, and only then is the row saved, in the same transaction: when Stripe is unavailable
    (StripeUnavailable) or refuses the tax ID (a ValidationError on `tax_id_value`) the row stays
    as it was. A tenant with no customer yet only stores them; its customer is created with them.

    Stripe takes a change in several calls. Should it fail after some of them did (or after a
    timeout, when Stripe may have done what it was asked), a task puts the customer back in line
    with the saved settings once Stripe answers again.
    """
    unknown = set(changes) - set(SETTINGS)
    if unknown:
        raise TypeError(f"Not a workspace setting: {', '.join(sorted(unknown))}")
    try:
        with transaction.atomic():
            customer_lock(tenant=tenant)
            saved = Tenant.objects.get(pk=tenant.pk)
            before = customer_details(saved)
            _apply(saved, changes)
            saved.full_clean(exclude=["slug", "schema_name"], validate_unique=False)
            customer = customer_get(tenant=saved)
            if customer is not None and customer_details(saved) != before:
                try:
                    customer_details_push(tenant=saved, customer_id=customer.id)
                except TaxIdInvalid as error:
                    raise ValidationError({"tax_id_value": error.message}) from error
            saved.save(update_fields=_COLUMNS)
    except StripeUnavailable:
        transaction.on_commit(partial(_customer_sync_later, tenant.pk))
        raise
    return saved


def _customer_sync_later(tenant_id: int) -> None:
    from loginexus.tenancy.tasks import workspace_customer_sync_task  # it imports this module

    workspace_customer_sync_task.delay(tenant_id)


def workspace_customer_sync(*, tenant: Tenant) -> None:
    """Bring the tenant's Stripe customer in line with the saved settings (after a failure part
    of the way through a change). Raises StripeUnavailable while Stripe is."""
    with transaction.atomic():
        customer_lock(tenant=tenant)
        saved = Tenant.objects.get(pk=tenant.pk)
        customer = customer_get(tenant=saved)
        if customer is not None:
            customer_details_push(tenant=saved, customer_id=customer.id)

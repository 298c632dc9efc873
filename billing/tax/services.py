"""Writes of tax details: the billing address and tax ID a customer entered in Checkout become
the workspace's, when the workspace had none (so the next checkout asks for nothing)."""

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from loginexus.tenancy.models import ADDRESS_PARTS, Tenant

logger = logging.getLogger(__name__)


@transaction.atomic
def checkout_details_adopt(*, tenant: Tenant, session: dict[str, Any]) -> Tenant:
    """Give the workspace the address and tax ID of a completed Checkout Session's
    `customer_details` (Stripe saved them onto the customer too: `customer_update`), each
    only where the workspace has none. Details the workspace cannot hold are left out."""
    details = session.get("customer_details") or {}
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    fields = []
    address = details.get("address") or {}
    if not tenant.billing_address_country and address.get("country"):
        for part in ADDRESS_PARTS:
            setattr(tenant, f"billing_address_{part}", address.get(part) or "")
        fields += [f"billing_address_{part}" for part in ADDRESS_PARTS]
    entered = next(iter(details.get("tax_ids") or []), None)
    if tenant.tax_id is None and entered and entered.get("value"):
        tenant.tax_id_type, tenant.tax_id_value = entered["type"], entered["value"]
        fields += ["tax_id_type", "tax_id_value"]
    if not fields:
        return tenant
    try:
        tenant.full_clean(exclude=[f.name for f in Tenant._meta.fields if f.name not in fields])
    except ValidationError as error:
        logger.warning("Checkout details of %s not adopted: %s", tenant.slug, error)
        return Tenant.objects.get(pk=tenant.pk)
    tenant.save(update_fields=fields)
    return tenant

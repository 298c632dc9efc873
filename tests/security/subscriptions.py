"""A tenant that pays through the Stripe simulator: customer, live subscription and its first
invoice in Stripe, synced into dj-stripe and into the tenant's entitlement."""

import stripe
from djstripe.models import Customer, Invoice

from billing.services import tenant_resync
from billing.stripe.catalog import plans_sync
from loginexus.tenancy.models import Tenant


def paying(tenant: Tenant, *, lookup_key: str = "pro_monthly") -> dict[str, str]:
    """Subscribe the tenant (the simulator must be the stripe module's API); answer the Stripe
    ids that now belong to it."""
    plans_sync()
    customer = stripe.Customer.create(
        email=f"billing@{tenant.slug}.example", metadata={"djstripe_subscriber": str(tenant.pk)}
    )
    Customer.sync_from_stripe_data(customer)
    price = stripe.Price.list(lookup_keys=[lookup_key]).data[0]
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], default_payment_method="pm_card_visa"
    )
    tenant_resync(tenant=tenant)
    invoice = Invoice.objects.get(customer__id=customer.id)
    return {"customer": customer.id, "subscription": subscription.id, "invoice": invoice.id}

"""The demo's Pro subscription, with history: its customer lives on a Stripe test clock started
a month and a few days ago, so that by now the subscription has renewed once and two invoices
are paid. Works against the simulator and against Stripe's test mode alike."""

import time

from djstripe.models import Customer
from djstripe.settings import djstripe_settings

from billing.plans import PRO, Interval
from billing.selectors import customer_get, price_get, subscription_facts_get
from billing.services import tenant_resync
from billing.stripe import boundary
from billing.stripe.customers import customer_details
from loginexus.tenancy.models import Tenant

HOUR = 3600
DAY = 24 * HOUR
# Started a month and 12 days ago: renewed once, 12 days into its second period by now.
STARTED_AGO = 43 * DAY


def demo_subscription_ensure(*, tenant: Tenant) -> bool:
    """Subscribe the demo workspace to Pro monthly unless it has a subscription; True when it
    was subscribed now."""
    if subscription_facts_get(tenant=tenant) is not None:
        return False
    price = price_get(plan=PRO, interval=Interval.MONTH)
    if price is None:
        raise LookupError("Run billing_sync_plans first: the Pro price is not in Stripe yet.")
    now = int(time.time())
    started = now - STARTED_AGO
    clock = boundary.demo_test_clock_create(frozen_time=started, name=f"demo {tenant.slug}")
    customer = customer_get(tenant=tenant)
    if customer is None:
        stripe_customer = boundary.demo_customer_create(
            test_clock=clock.id,
            payment_method="pm_card_visa",
            **customer_details(tenant),
            metadata={
                djstripe_settings.SUBSCRIBER_CUSTOMER_KEY: str(tenant.pk),
                "tenant_id": str(tenant.pk),
                "tenant_slug": tenant.slug,
            },
        )
        customer = boundary.synced(Customer, stripe_customer)
    boundary.demo_subscription_create(
        customer_id=customer.id,
        price_id=price.id,
        metadata={"tenant_id": str(tenant.pk), "tenant_slug": tenant.slug, "plan": PRO.code},
    )
    boundary.demo_test_clock_advance(clock_id=clock.id, frozen_time=now)
    _until_ready(clock.id)
    tenant_resync(tenant=tenant)
    return True


def _until_ready(clock_id: str, *, timeout: float = 60.0) -> None:
    """Stripe advances a test clock in the background (the simulator at once)."""
    deadline = time.monotonic() + timeout
    while boundary.demo_test_clock_retrieve(clock_id=clock_id).status != "ready":
        if time.monotonic() > deadline:
            raise TimeoutError(f"Test clock {clock_id} is still advancing.")
        time.sleep(0.5)

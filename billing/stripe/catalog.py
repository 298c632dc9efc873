"""Services that set Stripe up for LogiNexus: the plans' products and prices, the webhook endpoint.

Both are idempotent: run them on every deploy (`manage.py billing_sync_plans`).
"""

import uuid

from django.urls import reverse
from django.utils import translation
from djstripe.models import Price, Product, WebhookEndpoint

from billing.plans import CURRENCY, PAID_PLANS, Currency, Interval, Plan
from billing.stripe import boundary

# What the product listens to (PRODUCT.md, "Stripe webhooks"), plus what keeps dj-stripe current.
WEBHOOK_EVENTS = [
    "checkout.session.completed",
    "checkout.session.expired",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
    "invoice.created",
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
    "invoice.payment_action_required",
    "invoice.voided",
    "payment_method.attached",
    "payment_method.detached",
    "subscription_schedule.created",
    "subscription_schedule.updated",
    "subscription_schedule.released",
    "subscription_schedule.completed",
    "subscription_schedule.canceled",
]


@translation.override("en")  # Stripe's product names stay the same whoever runs the sync
def plans_sync() -> list[Price]:
    """Create or update a product per paid plan and its monthly and yearly prices in Stripe,
    then sync them into dj-stripe. Each price is in USD with EUR and GBP as its
    `currency_options`, all excluding tax (`tax_behavior` "exclusive", as Stripe Tax needs).
    A price whose amount or options changed is replaced (Stripe prices are immutable): the new
    one takes over the lookup key."""
    products = {
        product.metadata.get("loginexus_plan"): product for product in boundary.products_list()
    }
    lookup_keys = [plan.lookup_key(interval) for plan in PAID_PLANS for interval in plan.prices]
    prices = {price.lookup_key: price for price in boundary.prices_by_lookup_key(lookup_keys)}
    synced = []
    for plan in PAID_PLANS:
        product = products.get(plan.code)
        fields = {"name": f"LogiNexus {plan.name}", "metadata": {"loginexus_plan": plan.code}}
        if product is None:
            product = boundary.product_create(**fields)
        elif product.name != fields["name"] or not product.active:
            product = boundary.product_modify(product.id, active=True, **fields)
        Product.sync_from_stripe_data(product)
        for interval in plan.prices:
            price = prices.get(plan.lookup_key(interval))
            if not _price_matches(price, product.id, plan, interval):
                price = boundary.price_create(
                    product=product.id,
                    currency=CURRENCY,
                    unit_amount=plan.amount(interval, CURRENCY),
                    tax_behavior=TAX_BEHAVIOR,
                    currency_options=_currency_options(plan, interval),
                    recurring={"interval": interval.value},
                    lookup_key=plan.lookup_key(interval),
                    transfer_lookup_key=True,
                    nickname=f"{plan.name} {interval.value}ly",
                    metadata={"loginexus_plan": plan.code},
                )
            synced.append(Price.sync_from_stripe_data(price))
            # The lookup key moved to this price in Stripe; older local copies must not win.
            Price.objects.filter(lookup_key=price.lookup_key).exclude(id=price.id).update(
                active=False, lookup_key=None
            )
    return synced


# Prices exclude tax (PRODUCT.md, "Tax"): Stripe Tax adds VAT on top.
TAX_BEHAVIOR = "exclusive"


def _currency_options(plan: Plan, interval: Interval) -> dict[str, dict]:
    """The price's other currencies, as Stripe's `currency_options` parameter takes them."""
    return {
        currency.value: {
            "unit_amount": plan.amount(interval, currency),
            "tax_behavior": TAX_BEHAVIOR,
        }
        for currency in Currency
        if currency != CURRENCY
    }


def _price_matches(price, product_id: str, plan: Plan, interval: Interval) -> bool:
    """Whether Stripe's price is the plan's: same product, interval, tax behaviour and amount
    in every currency (Stripe lists the price's own currency among its options too)."""
    if not (
        price
        and price.product == product_id
        and price.currency == CURRENCY
        and price.unit_amount == plan.amount(interval, CURRENCY)
        and price.tax_behavior == TAX_BEHAVIOR
        and price.recurring
        and price.recurring.interval == interval.value
    ):
        return False
    held = {
        currency: (option.get("unit_amount"), option.get("tax_behavior"))
        for currency, option in (price.get("currency_options") or {}).items()
        if currency != CURRENCY
    }
    wanted = {
        currency: (option["unit_amount"], option["tax_behavior"])
        for currency, option in _currency_options(plan, interval).items()
    }
    return held == wanted


def webhook_endpoint_ensure(*, base_url: str) -> WebhookEndpoint:
    """The Stripe webhook endpoint pointing at this deployment (`base_url` is the public host's
    origin), created in Stripe when missing and synced with its signing secret.

    Other endpoints at this address whose secret is not known here (left by an earlier database)
    are deleted in Stripe: every delivery to them would be refused. Ours, made when the product
    listened to other events, is told the events it listens to now."""
    prefix = base_url.rstrip("/") + "/"
    ours, ours_events, unknown = None, None, []
    for remote in boundary.webhook_endpoints_list():
        if not remote.url.startswith(prefix):
            continue
        known = WebhookEndpoint.objects.filter(id=remote.id).exclude(secret="").first()
        if known and ours is None:
            ours, ours_events = known, list(remote.enabled_events or [])
        elif not known:
            unknown.append(remote.id)
    for endpoint_id in unknown:
        boundary.webhook_endpoint_delete(endpoint_id)
    if ours is not None:
        if sorted(ours_events) != sorted(WEBHOOK_EVENTS):
            boundary.webhook_endpoint_events_set(ours.id, enabled_events=WEBHOOK_EVENTS)
            WebhookEndpoint.objects.filter(pk=ours.pk).update(enabled_events=WEBHOOK_EVENTS)
            ours.enabled_events = WEBHOOK_EVENTS
        return ours
    endpoint_uuid = uuid.uuid4()
    path = reverse(
        "stripe-webhook", kwargs={"endpoint_uuid": endpoint_uuid}, urlconf="loginexus.urls_public"
    )
    endpoint = boundary.webhook_endpoint_create(
        url=prefix.rstrip("/") + path,
        enabled_events=WEBHOOK_EVENTS,
        metadata={"djstripe_uuid": str(endpoint_uuid)},
    )
    return WebhookEndpoint.sync_from_stripe_data(endpoint)

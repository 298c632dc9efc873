"""Stripe's side of overage, set up by `billing_sync_plans`: the meter and its metered prices."""

from django.utils import translation
from djstripe.models import Price

from billing.overage.rules import METER_EVENT_NAME, UNIT_AMOUNTS, overage_lookup_key
from billing.plans import Interval
from billing.stripe import boundary
from billing.stripe.catalog import TAX_BEHAVIOR

PRODUCT_METADATA = {"loginexus_overage": METER_EVENT_NAME}


def meter_ensure():
    """The meter summing extra shipments per customer (`event_name` shipments_overage), created
    when missing and reactivated when deactivated."""
    meters = [m for m in boundary.meters_list() if m.event_name == METER_EVENT_NAME]
    active = next((m for m in meters if m.status == "active"), None)
    if active is not None:
        return active
    if meters:
        return boundary.meter_reactivate(meters[0].id)
    return boundary.meter_create(
        display_name="LogiNexus extra shipments",
        event_name=METER_EVENT_NAME,
        default_aggregation={"formula": "sum"},
        customer_mapping={"event_payload_key": "stripe_customer_id", "type": "by_id"},
        value_settings={"event_payload_key": "value"},
    )


@translation.override("en")
def overage_prices_sync() -> list[Price]:
    """The meter, a product for extra shipments, and a metered price per interval and currency
    ($0.04 / €0.04 / £0.03 each, tax excluded), synced into dj-stripe. A price that no longer
    matches is replaced and its lookup key moves to the new one."""
    meter = meter_ensure()
    product = next(
        (
            p
            for p in boundary.products_list()
            if p.metadata.get("loginexus_overage") == METER_EVENT_NAME
        ),
        None,
    )
    if product is None:
        product = boundary.product_create(
            name="LogiNexus extra shipments", metadata=PRODUCT_METADATA
        )
    wanted = {
        overage_lookup_key(interval, currency): (interval, currency, amount)
        for interval in Interval
        for currency, amount in UNIT_AMOUNTS.items()
    }
    held = {price.lookup_key: price for price in boundary.prices_by_lookup_key(list(wanted))}
    synced = []
    for lookup_key, (interval, currency, amount) in wanted.items():
        price = held.get(lookup_key)
        recurring = price.recurring if price else None
        if not (
            price
            and price.product == product.id
            and price.currency == currency.value
            and price.unit_amount == amount
            and recurring
            and recurring.interval == interval.value
            and recurring.usage_type == "metered"
            and recurring.meter == meter.id
        ):
            price = boundary.price_create(
                product=product.id,
                currency=currency.value,
                unit_amount=amount,
                tax_behavior=TAX_BEHAVIOR,
                recurring={
                    "interval": interval.value,
                    "usage_type": "metered",
                    "meter": meter.id,
                },
                lookup_key=lookup_key,
                transfer_lookup_key=True,
                nickname=f"Extra shipment {interval.value}ly ({currency.value.upper()})",
                metadata={"loginexus_overage": METER_EVENT_NAME},
            )
        synced.append(Price.sync_from_stripe_data(price))
        Price.objects.filter(lookup_key=lookup_key).exclude(id=price.id).update(
            active=False, lookup_key=None
        )
    return synced

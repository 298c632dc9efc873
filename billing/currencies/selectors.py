"""Reads of a workspace's billing currency: the one its Stripe customer already has, else the
one its billing address suggests, else USD."""

from django.utils.translation import gettext
from djstripe.models import Subscription

from billing.exceptions import CurrencyMismatch
from billing.plans import Currency
from billing.selectors import customer_get
from loginexus.tenancy.models import Tenant

# Countries whose currency is the euro: the euro area (Bulgaria since 2026) and the states that
# use it by agreement with the EU.
EURO_COUNTRIES = frozenset(
    "AT BE BG CY DE EE ES FI FR GR HR IE IT LT LU LV MT NL PT SI SK AD MC SM VA".split()
)


def currency_for_country(country: str) -> Currency:
    """EUR for a euro country, GBP for the United Kingdom, USD anywhere else (or nowhere)."""
    if country in EURO_COUNTRIES:
        return Currency.EUR
    if country == "GB":
        return Currency.GBP
    return Currency.USD


def customer_currency_get(*, tenant: Tenant) -> Currency | None:
    """The currency the tenant's Stripe customer was billed in, once it had a subscription:
    the customer's own, else its newest subscription's (the customer's stored copy may
    predate its first subscription)."""
    customer = customer_get(tenant=tenant)
    if customer is None:
        return None
    held = customer.stripe_data.get("currency")
    if not held:
        newest = (
            Subscription.objects.filter(customer=customer)
            .order_by("-created")
            .values_list("stripe_data", flat=True)
            .first()
        )
        held = (newest or {}).get("currency")
    return Currency(held) if held in {currency.value for currency in Currency} else None


def tenant_currency_get(*, tenant: Tenant) -> Currency:
    """What the tenant's prices are shown and charged in when it does not choose."""
    return customer_currency_get(tenant=tenant) or currency_for_country(
        tenant.billing_address_country
    )


def checkout_currency_choose(*, tenant: Tenant, requested: Currency | None) -> Currency:
    """The currency of a new checkout: the one asked for, else the tenant's. A customer keeps
    its currency: another one is refused (CurrencyMismatch), as Stripe refuses a second
    currency for a customer with a subscription."""
    held = customer_currency_get(tenant=tenant)
    if requested and held and requested != held:
        raise CurrencyMismatch(
            gettext("This workspace is billed in %(held)s; it cannot check out in %(requested)s.")
            % {"held": held.upper(), "requested": requested.upper()},
            extra={"currency": held.value},
        )
    return requested or tenant_currency_get(tenant=tenant)


def pricing_currency_get(*, tenant: Tenant, requested: Currency | None) -> tuple[Currency, bool]:
    """The currency the tenant's pricing page shows, and whether it is fixed: a workspace
    already billed keeps its currency whatever it asks for; another one sees the currency it
    chose, else its own."""
    held = customer_currency_get(tenant=tenant)
    if held:
        return held, True
    return requested or tenant_currency_get(tenant=tenant), False

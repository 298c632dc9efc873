"""Template filters of billing: amounts in Stripe's minor units shown as money, in the one
format of `loginexus.i18n.formatting`, and Stripe's invoice statuses as people read them."""

from django import template

from billing.models import InvoiceStatus, SubscriptionStatus
from loginexus.i18n.formatting import money_minor

register = template.Library()

register.filter("money", money_minor)


@register.filter
def invoice_status(value: str | None) -> str:
    """ "paid" → "Paid" (translated); a status Stripe adds later is shown as it comes."""
    return InvoiceStatus.label_of(value)


@register.filter
def subscription_status(value: str | None) -> str:
    """ "past_due" → "Past due" (translated)."""
    if value in SubscriptionStatus.values:
        return SubscriptionStatus(value).label
    return value or ""


@register.filter
def invoices_with(invoices, amount: str) -> bool:
    """Whether any of the invoices has a `discount` or `tax` to show (a column for it)."""
    return any(getattr(invoice, amount) for invoice in invoices)

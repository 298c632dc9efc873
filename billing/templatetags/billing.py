"""Template filters of billing: amounts in Stripe's minor units shown as money."""

from decimal import Decimal

from django import template

register = template.Library()

_ZERO_DECIMAL_CURRENCIES = frozenset({"jpy", "krw", "vnd", "clp", "pyg", "xaf", "xof", "ugx"})


@register.filter
def money(minor_units: int | None, currency: str = "usd") -> str:
    """`4900, "usd"` → "USD 49.00" (exact: Decimal, never float)."""
    if minor_units is None:
        return ""
    currency = (currency or "usd").lower()
    exponent = 0 if currency in _ZERO_DECIMAL_CURRENCIES else 2
    amount = Decimal(minor_units).scaleb(-exponent)
    return f"{currency.upper()} {amount:,.{exponent}f}"

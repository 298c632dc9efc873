"""Reads of tax on invoices as Stripe Tax computed them (an invoice's `total_taxes`)."""

from collections.abc import Iterable

from djstripe.models import Invoice


def invoice_tax_amount(invoice: Invoice) -> int:
    """The invoice's tax in minor units (0 when Stripe Tax collected none)."""
    return sum(tax.get("amount") or 0 for tax in invoice.stripe_data.get("total_taxes") or [])


def invoice_reverse_charged(invoice: Invoice) -> bool:
    """Whether the invoice's VAT is reverse charged: the customer, an EU business with a VAT
    ID, accounts for it."""
    return any(
        tax.get("taxability_reason") == "reverse_charge"
        for tax in invoice.stripe_data.get("total_taxes") or []
    )


def reverse_charge_applies(*, invoices: Iterable[Invoice]) -> bool:
    return any(invoice_reverse_charged(invoice) for invoice in invoices)

"""Reads of tax on invoices as Stripe Tax computed them (an invoice's `total_taxes`)."""

from collections.abc import Iterable

from djstripe.models import Invoice

from loginexus.tenancy.models import Tenant

# Where Stripe Tax needs a postal code besides the country to place a customer.
POSTAL_CODE_COUNTRIES = ("US", "CA")


def tax_location_known(tenant: Tenant) -> bool:
    """Whether the workspace's billing address places it for Stripe Tax (its country, and in
    the United States and Canada its postal code): if not, checkout asks for the address."""
    country = tenant.billing_address_country
    return bool(country) and (
        country not in POSTAL_CODE_COUNTRIES or bool(tenant.billing_address_postal_code)
    )


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

"""Reads of invoices: a tenant's invoices, and each one's amounts and lines as Stripe's invoice
fields give them in dj-stripe's stored copy (amounts in minor units)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from djstripe.models import Invoice

from loginexus.tenancy.models import Tenant


@dataclass(frozen=True)
class InvoiceLine:
    description: str
    quantity: int | None
    amount: int  # before discounts and tax, as Stripe's line `amount`


@dataclass(frozen=True)
class InvoiceSummary:
    id: str
    number: str | None
    created: datetime
    status: str | None
    currency: str
    subtotal: int
    discount: int
    tax: int
    total: int
    amount_due: int
    amount_paid: int
    hosted_invoice_url: str | None
    invoice_pdf: str | None
    lines: list[InvoiceLine]


def invoices_list(*, tenant: Tenant) -> QuerySet[Invoice]:
    return Invoice.objects.filter(customer__subscriber=tenant).order_by("-created")


def _amounts(entries: Any) -> int:
    return sum(entry.get("amount") or 0 for entry in entries or [] if isinstance(entry, Mapping))


def invoice_tax(data: Mapping[str, Any]) -> int:
    """The invoice's tax, from whichever field the API version in use has: `total_taxes`
    (2025 on), else `total_tax_amounts`, else the older single `tax`."""
    if data.get("total_taxes") is not None:
        return _amounts(data["total_taxes"])
    if data.get("total_tax_amounts") is not None:
        return _amounts(data["total_tax_amounts"])
    return data.get("tax") or 0


def invoice_summary(invoice: Invoice) -> InvoiceSummary:
    data = invoice.stripe_data or {}
    lines = (data.get("lines") or {}).get("data") or []
    subtotal = data.get("subtotal") or 0
    return InvoiceSummary(
        id=invoice.id,
        number=data.get("number"),
        created=invoice.created,
        status=data.get("status"),
        currency=data.get("currency") or "",
        subtotal=subtotal,
        discount=_amounts(data.get("total_discount_amounts")),
        tax=invoice_tax(data),
        total=data.get("total", subtotal),
        amount_due=data.get("amount_due") or 0,
        amount_paid=data.get("amount_paid") or 0,
        hosted_invoice_url=data.get("hosted_invoice_url"),
        invoice_pdf=data.get("invoice_pdf"),
        lines=[
            InvoiceLine(
                description=line.get("description") or "",
                quantity=line.get("quantity"),
                amount=line.get("amount") or 0,
            )
            for line in lines
            if isinstance(line, Mapping)
        ],
    )


def invoice_summaries(invoices: Iterable[Invoice]) -> list[InvoiceSummary]:
    return [invoice_summary(invoice) for invoice in invoices]

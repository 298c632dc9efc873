"""Stripe Tax as the simulator applies it (`automatic_tax`): the account is registered for EU VAT
only. A customer in an EU country pays that country's standard rate, unless it is a business
with an EU VAT id (`eu_vat`), which gets the reverse charge (no tax, and the invoice says so);
anywhere else no tax is collected (`not_collecting`). Prices exclude tax."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .errors import InvalidRequest, MissingParam
from .forms import as_bool
from .ids import new_id
from .store import State

# Standard VAT rates of the 27 EU member states (percent), by ISO country code.
EU_STANDARD_RATES: dict[str, Decimal] = {
    code: Decimal(rate)
    for code, rate in {
        "AT": "20",
        "BE": "21",
        "BG": "20",
        "CY": "19",
        "CZ": "21",
        "DE": "19",
        "DK": "25",
        "EE": "24",
        "ES": "21",
        "FI": "25.5",
        "FR": "20",
        "GR": "24",
        "HR": "25",
        "HU": "27",
        "IE": "23",
        "IT": "22",
        "LT": "21",
        "LU": "17",
        "LV": "21",
        "MT": "18",
        "NL": "21",
        "PL": "23",
        "PT": "23",
        "RO": "21",
        "SE": "25",
        "SI": "22",
        "SK": "23",
    }.items()
}
# Where Stripe Tax needs a postal code besides the country to place a customer.
POSTAL_CODE_COUNTRIES = ("US", "CA")
REVERSE_CHARGE_NOTE = "Tax to be paid on reverse charge basis"


def automatic_tax_on() -> dict[str, Any]:
    """A subscription's `automatic_tax` when Stripe Tax computes its invoices' tax."""
    return {
        "disabled_reason": None,
        "enabled": True,
        "liability": {"account": None, "type": "self"},
    }


def automatic_tax_param(value: Any, param: str = "automatic_tax") -> bool:
    """Whether `automatic_tax[enabled]` asks for Stripe Tax (Stripe requires `enabled`)."""
    if not isinstance(value, dict):
        raise InvalidRequest("Invalid object", param=param)
    if "enabled" not in value:
        raise MissingParam(f"{param}[enabled]")
    return as_bool(value["enabled"], f"{param}[enabled]")


def automatic_tax_set(sub: dict[str, Any], customer: dict[str, Any], enabled: bool) -> None:
    """Turn Stripe Tax on or off for a subscription's next invoices."""
    if enabled:
        tax_location_check(customer)
    sub["automatic_tax"] = (
        automatic_tax_on()
        if enabled
        else {"disabled_reason": None, "enabled": False, "liability": None}
    )


def location_known(customer: dict[str, Any]) -> bool:
    address = customer.get("address") or {}
    country = address.get("country")
    return bool(country) and (country not in POSTAL_CODE_COUNTRIES or address.get("postal_code"))


def tax_location_check(customer: dict[str, Any]) -> None:
    """Stripe's refusal of automatic tax for a customer it cannot place."""
    if not location_known(customer):
        raise InvalidRequest(
            "The customer's location isn't recognized. Automatic tax calculation requires a "
            "valid address on the customer (its country, and for the US and Canada its postal "
            "code).",
            code="customer_tax_location_invalid",
            param="customer",
        )


def _treatment(state: State, customer: dict[str, Any]) -> tuple[str, Decimal, str | None]:
    """(taxability reason, percentage, country) for the customer as it is now."""
    country = (customer.get("address") or {}).get("country")
    if country not in EU_STANDARD_RATES:
        return "not_collecting", Decimal(0), country
    if customer.get("tax_exempt") == "exempt":
        return "customer_exempt", Decimal(0), country
    has_vat_id = any(
        tax_id["customer"] == customer["id"] and tax_id["type"] == "eu_vat"
        for tax_id in state.all("tax_id")
    )
    if has_vat_id or customer.get("tax_exempt") == "reverse":
        return "reverse_charge", Decimal(0), country
    return "standard_rated", EU_STANDARD_RATES[country], country


def _tax_rate(state: State, *, country: str | None, percentage: Decimal, at: int) -> str:
    """The id of the tax rate Stripe Tax made for this jurisdiction and percentage (made once,
    then reused, as Stripe's automatically created rates are)."""
    for rate in state.all("tax_rate"):
        if rate["country"] == country and Decimal(str(rate["percentage"])) == percentage:
            return rate["id"]
    rate = {
        "id": new_id("txr"),
        "object": "tax_rate",
        "active": False,  # Stripe Tax's own rates cannot be applied by hand
        "country": country,
        "created": at,
        "description": f"VAT {country}" if country else None,
        "display_name": "VAT",
        "effective_percentage": float(percentage),
        "flat_amount": None,
        "inclusive": False,
        "jurisdiction": country,
        "jurisdiction_level": "country" if country else None,
        "livemode": False,
        "metadata": {},
        "percentage": float(percentage),
        "rate_type": "percentage",
        "state": None,
        "tax_type": "vat",
    }
    state.add(rate)
    return rate["id"]


def invoice_tax_apply(state: State, invoice: dict[str, Any], customer: dict[str, Any]) -> None:
    """Put Stripe Tax's result on an invoice: a tax entry on every line (on what the line costs
    after its discounts), the invoice's `total_taxes`, and totals with tax added
    (total = subtotal - discounts + tax)."""
    reason, percentage, country = _treatment(state, customer)
    rate_id = _tax_rate(state, country=country, percentage=percentage, at=invoice["created"])
    for line in invoice["lines"]["data"]:
        discounted = sum(d["amount"] for d in line.get("discount_amounts") or [])
        taxable = line["amount"] - discounted
        amount = int((Decimal(taxable) * percentage / 100).to_integral_value(ROUND_HALF_UP))
        line["taxes"] = [
            {
                "amount": amount,
                "tax_behavior": "exclusive",
                "tax_rate_details": {"tax_rate": rate_id},
                "taxability_reason": reason,
                "taxable_amount": taxable,
                "type": "tax_rate_details",
            }
        ]
    lines = invoice["lines"]["data"]
    tax = sum(line["taxes"][0]["amount"] for line in lines)
    discount = sum(d["amount"] for d in invoice.get("total_discount_amounts") or [])
    invoice["total_taxes"] = [
        {
            "amount": tax,
            "tax_behavior": "exclusive",
            "tax_rate_details": {"tax_rate": rate_id},
            "taxability_reason": reason,
            "taxable_amount": sum(line["taxes"][0]["taxable_amount"] for line in lines),
            "type": "tax_rate_details",
        }
    ]
    invoice["automatic_tax"] = {
        "disabled_reason": None,
        "enabled": True,
        "liability": {"account": None, "type": "self"},
        "provider": "stripe",
        "status": "complete",
    }
    invoice["total_excluding_tax"] = invoice["subtotal"] - discount
    invoice["total"] = invoice["total_excluding_tax"] + tax
    due = max(0, invoice["total"] + invoice["starting_balance"])
    invoice["amount_due"] = invoice["amount_remaining"] = due


def reverse_charged(invoice: dict[str, Any]) -> bool:
    return any(t["taxability_reason"] == "reverse_charge" for t in invoice.get("total_taxes") or [])


def session_totals_from_invoice(session: dict[str, Any], invoice: dict[str, Any] | None) -> None:
    """A completed Checkout Session's tax and total, as its first invoice computed them."""
    if invoice is None or not session["automatic_tax"]["enabled"]:
        return
    tax = sum(t["amount"] for t in invoice["total_taxes"] or [])
    session["automatic_tax"]["status"] = "complete"
    session["total_details"]["amount_tax"] = tax
    session["amount_total"] = (
        session["amount_subtotal"] - session["total_details"]["amount_discount"] + tax
    )

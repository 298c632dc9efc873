"""API handlers for a customer's tax IDs (``/v1/customers/<cus>/tax_ids``), and the check of a
tax ID's value that Stripe makes before it stores one (400 ``tax_id_invalid``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .errors import InvalidRequest, ResourceMissing
from .ids import new_id
from .routing import route
from .store import deleted_stub, listing

if TYPE_CHECKING:
    from .server import Api

Params = dict[str, Any]

# What Stripe takes as a value of the types it checks by their format (the EU's VIES formats,
# the UK's and the IRS's); other types only need a value.
_EU_VAT = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[0-9A-Z]\d{7}[0-9A-Z]",
    "FI": r"\d{8}",
    "FR": r"[0-9A-Z]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
}
_FORMATS = {
    "eu_vat": re.compile("|".join(f"{country}(?:{body})" for country, body in _EU_VAT.items())),
    "gb_vat": re.compile(r"GB(?:\d{9}|\d{12}|GD\d{3}|HA\d{3})"),
    "us_ein": re.compile(r"\d{2}-?\d{7}"),
}
# Types whose numbers Stripe verifies with the issuing authority, after it answers.
_VERIFIED_TYPES = {"eu_vat", "gb_vat", "au_abn"}
_COUNTRY_OF_PREFIX = {"EL": "GR", "XI": "GB"}


def tax_id_value_valid(tax_type: str, value: str) -> bool:
    pattern = _FORMATS.get(tax_type)
    return bool(value.strip()) and (pattern is None or bool(pattern.fullmatch(value)))


def _country(tax_type: str, value: str) -> str | None:
    if tax_type == "eu_vat":
        return _COUNTRY_OF_PREFIX.get(value[:2], value[:2])
    prefix = tax_type.split("_", 1)[0]
    return None if prefix in ("eu", "unknown") else prefix.upper()


def tax_id_object(
    *, customer: dict[str, Any], tax_type: str, value: str, created: int
) -> dict[str, Any]:
    verified = tax_type in _VERIFIED_TYPES
    return {
        "id": new_id("txi"),
        "object": "tax_id",
        "country": _country(tax_type, value),
        "created": created,
        "customer": customer["id"],
        "customer_account": None,
        "livemode": False,
        "owner": {
            "account": None,
            "application": None,
            "customer": customer["id"],
            "customer_account": None,
            "type": "customer",
        },
        "type": tax_type,
        "value": value,
        "verification": {
            "status": "pending" if verified else "unavailable",
            "verified_address": None,
            "verified_name": None,
        },
    }


def tax_id_add(
    api: Api, customer: dict[str, Any], tax_type: Any, value: Any, *, at: int, param: str
) -> dict[str, Any]:
    """A new tax ID of the customer, refused as Stripe refuses a malformed value."""
    if not isinstance(value, str) or not tax_id_value_valid(str(tax_type), value):
        raise InvalidRequest(f"Invalid value for {tax_type}.", code="tax_id_invalid", param=param)
    created = api.state.add(
        tax_id_object(customer=customer, tax_type=str(tax_type), value=value, created=at)
    )
    api.billing.emit("customer.tax_id.created", created, at=at)
    return created


def tax_ids_of(api: Api, customer_id: str) -> list[dict[str, Any]]:
    """The customer's tax IDs, newest first."""
    return [t for t in api.state.all("tax_id") if t["customer"] == customer_id]


def _own_tax_id(api: Api, customer: str, tax_id_id: str) -> dict[str, Any]:
    found = api.state.find("tax_id", tax_id_id)
    if found is None or found["customer"] != customer:
        raise ResourceMissing("tax ID", tax_id_id)
    return found


@route("POST", "/v1/customers/{customer}/tax_ids")
def customer_tax_id_create(api: Api, params: Params, customer: str) -> dict[str, Any]:
    owner = api.state.get("customer", customer)
    return tax_id_add(
        api, owner, params["type"], params["value"], at=api.billing.now(customer), param="value"
    )


@route("GET", "/v1/customers/{customer}/tax_ids")
def customer_tax_id_list(api: Api, params: Params, customer: str) -> dict[str, Any]:
    api.state.get("customer", customer)
    return listing(
        api.state,
        "tax_id",
        params,
        f"/v1/customers/{customer}/tax_ids",
        lambda t: t["customer"] == customer,
    )


@route("GET", "/v1/customers/{customer}/tax_ids/{tax_id}")
def customer_tax_id_retrieve(
    api: Api, params: Params, customer: str, tax_id: str
) -> dict[str, Any]:
    api.state.get("customer", customer)
    return _own_tax_id(api, customer, tax_id)


@route("DELETE", "/v1/customers/{customer}/tax_ids/{tax_id}")
def customer_tax_id_delete(api: Api, params: Params, customer: str, tax_id: str) -> dict[str, Any]:
    api.state.get("customer", customer)
    found = _own_tax_id(api, customer, tax_id)
    found["_deleted"] = True
    api.state.mark_dirty()
    api.billing.emit("customer.tax_id.deleted", found, at=api.billing.now(customer))
    return deleted_stub(found)


@route("GET", "/v1/tax_rates/{tax_rate}")
def tax_rate_retrieve(api: Api, params: Params, tax_rate: str) -> dict[str, Any]:
    """A tax rate Stripe Tax made (an invoice's `total_taxes` names it)."""
    return api.state.get("tax_rate", tax_rate)

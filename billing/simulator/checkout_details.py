"""What a Checkout Session collects besides the card: the billing address and a tax ID, when
asked (`billing_address_collection`, `tax_id_collection`, or `automatic_tax` for a customer
Stripe Tax cannot place), and what the session saves onto the customer (`customer_update`)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import objects
from .currencies import customer_currency_check
from .errors import InvalidRequest
from .events import previous_attributes
from .forms import as_bool
from .tax_id_resources import tax_id_add, tax_id_value_valid
from .taxes import automatic_tax_param, location_known

if TYPE_CHECKING:
    from .server import Api

# The hosted page's address fields (Stripe's `address` keys) and tax ID fields.
ADDRESS_FIELDS = ("line1", "line2", "city", "postal_code", "state", "country")
TAX_ID_FIELDS = ("tax_id_type", "tax_id_value")
# What the page's address fields are filled in with, as Stripe's test pages suggest a test
# card: a form posted without the fields (a test's Pay) pays with this address. An address
# outside the EU, so no tax is collected unless a test gives one.
TEST_ADDRESS = {
    "line1": "354 Oyster Point Blvd",
    "city": "South San Francisco",
    "postal_code": "94080",
    "state": "CA",
    "country": "US",
}


def checkout_settings(
    api: Api, params: dict[str, Any], customer: dict[str, Any] | None, currency: str
) -> dict[str, Any]:
    """The session's tax and collection fields from its parameters, refused as Stripe refuses
    them: a second currency for the customer, automatic tax for a customer with no address
    that Checkout may not save one onto, tax ID collection that may not save the name."""
    customer_currency_check(api.state, customer, currency)
    update = params.get("customer_update") or {}
    if update and customer is None:
        raise InvalidRequest(
            "`customer_update` can only be used with `customer`.", param="customer_update"
        )
    automatic = "automatic_tax" in params and automatic_tax_param(params["automatic_tax"])
    saves_address = "auto" in (update.get("address"), update.get("shipping"))
    if automatic and customer is not None and not location_known(customer) and not saves_address:
        raise InvalidRequest(
            "Automatic tax calculation in Checkout requires a valid address on the "
            "Customer. Add a valid address to the Customer or set either "
            "`customer_update[address]` to 'auto' or `customer_update[shipping]` to 'auto' "
            "to save the address entered in Checkout to the Customer.",
            param="automatic_tax[enabled]",
        )
    collection = params.get("tax_id_collection") or {}
    tax_ids = bool(collection) and as_bool(
        collection.get("enabled", "false"), "tax_id_collection[enabled]"
    )
    if tax_ids and customer is not None and update.get("name") != "auto":
        raise InvalidRequest(
            "`tax_id_collection` can only be enabled for an existing customer when "
            "`customer_update[name]` is set to `auto`.",
            param="tax_id_collection[enabled]",
        )
    return {
        "automatic_tax": {
            "enabled": automatic,
            "liability": {"account": None, "type": "self"} if automatic else None,
            "provider": "stripe" if automatic else None,
            "status": "requires_location_inputs" if automatic else None,
        },
        "tax_id_collection": {"enabled": tax_ids, "required": "never"},
        "_customer_update": dict(update),
    }


def address_required(session: dict[str, Any], customer: dict[str, Any] | None) -> bool:
    """Whether the hosted page must ask for the billing address."""
    if session["billing_address_collection"] == "required":
        return True
    return session["automatic_tax"]["enabled"] and not (customer and location_known(customer))


def collected_from_form(form: dict[str, str]) -> dict[str, Any]:
    """What the hosted page's form says: the address (None when the form has no address
    fields: the prefilled test address stands) and the tax ID."""
    address = {key: form.get(key, "").strip() for key in ADDRESS_FIELDS}
    address = {key: value for key, value in address.items() if value}
    if "country" in address:
        address["country"] = address["country"].upper()
    untouched = not any(key in form for key in ADDRESS_FIELDS)
    tax_type, value = (form.get(key, "").strip() for key in TAX_ID_FIELDS)
    return {
        "address": None if untouched else address,
        "tax_id": {"type": tax_type or "eu_vat", "value": value} if value else None,
    }


def collected_check(
    session: dict[str, Any], customer: dict[str, Any] | None, collected: dict[str, Any]
) -> None:
    """The hosted page refuses to pay without the address it asked for (a form without the
    address fields pays with the test address they are filled in with)."""
    required = address_required(session, customer)
    if required and collected["address"] is None:
        collected["address"] = dict(TEST_ADDRESS)
    address = collected["address"] or {}
    if required and not (
        address.get("country") and address.get("line1") and address.get("postal_code")
    ):
        session["_last_error"] = "Enter your billing address: street, postal code and country."
        raise InvalidRequest(session["_last_error"], param="address")
    tax_id = collected["tax_id"]
    enabled = session["tax_id_collection"]["enabled"]
    if tax_id and enabled and not tax_id_value_valid(tax_id["type"], tax_id["value"]):
        session["_last_error"] = f"Invalid value for {tax_id['type']}."
        raise InvalidRequest(session["_last_error"], code="tax_id_invalid", param="tax_id")


def collected_apply(
    api: Api,
    session: dict[str, Any],
    customer: dict[str, Any],
    collected: dict[str, Any],
    *,
    at: int,
    created: bool,
) -> dict[str, Any]:
    """Save what the page collected onto the customer (a customer Checkout created always; an
    existing one as `customer_update` allows), and answer the session's `customer_details`."""
    update = session["_customer_update"]
    address = collected["address"]
    before = copy.deepcopy(customer)
    if address and (created or update.get("address") == "auto"):
        customer["address"] = objects.address(address)
    changes = previous_attributes(before, customer)
    if changes and not created:
        api.billing.emit("customer.updated", customer, at=at, previous=changes)
    tax_ids = []
    if collected["tax_id"] and session["tax_id_collection"]["enabled"]:
        tax_id = collected["tax_id"]
        held = [
            t
            for t in api.state.all("tax_id")
            if t["customer"] == customer["id"] and (t["type"], t["value"]) == tuple(tax_id.values())
        ]
        if not held:
            tax_id_add(api, customer, tax_id["type"], tax_id["value"], at=at, param="tax_id_value")
        tax_ids = [{"type": tax_id["type"], "value": tax_id["value"]}]
    return {
        "address": objects.address(address) if address else copy.deepcopy(customer["address"]),
        "business_name": None,
        "email": customer["email"],
        "individual_name": None,
        "name": customer["name"],
        "phone": None,
        "tax_exempt": customer["tax_exempt"],
        "tax_ids": tax_ids,
    }

"""The plain fields that create and update parameters set on customers and products, the same
way for both ("" unsets the fields Stripe lets a client unset)."""

from __future__ import annotations

from typing import Any

from . import objects
from .forms import as_bool, as_int, as_list, merge_metadata

Params = dict[str, Any]


def set_customer_fields(customer: dict[str, Any], params: Params) -> None:
    """Contact details, balance, invoice numbering and settings, locales, tax status."""
    for key in ("email", "name", "description", "phone", "business_name", "individual_name"):
        if key in params:
            customer[key] = params[key] or None
    for key in ("balance", "next_invoice_sequence"):
        if key in params:
            customer[key] = as_int(params[key], key)
    if params.get("invoice_prefix"):
        customer["invoice_prefix"] = params["invoice_prefix"]
    if "preferred_locales" in params:
        locales = as_list(params["preferred_locales"], "preferred_locales")
        customer["preferred_locales"] = [str(locale) for locale in locales]
    if "tax_exempt" in params:
        customer["tax_exempt"] = params["tax_exempt"] or "none"
    if "address" in params:
        customer["address"] = objects.address(params["address"])
    if "shipping" in params:
        customer["shipping"] = objects.shipping(params["shipping"])
    if "metadata" in params:
        customer["metadata"] = merge_metadata(customer["metadata"], params["metadata"])
    settings = params.get("invoice_settings") or {}
    invoice_settings = customer["invoice_settings"]
    if "footer" in settings:
        invoice_settings["footer"] = settings["footer"] or None
    if "custom_fields" in settings:
        fields = as_list(settings["custom_fields"] or None, "invoice_settings[custom_fields]")
        invoice_settings["custom_fields"] = [
            {"name": field.get("name"), "value": field.get("value")} for field in fields
        ] or None
    if "rendering_options" in settings:
        options = settings["rendering_options"]
        invoice_settings["rendering_options"] = (
            {
                "amount_tax_display": options.get("amount_tax_display") or None,
                "template": options.get("template"),
            }
            if isinstance(options, dict)
            else None
        )


def merge_settings(current: dict[str, Any], update: Any) -> dict[str, Any]:
    """Nested settings (a portal configuration's ``features``) with the given ones merged in:
    ``true``/``false`` become booleans, "" empties a value."""
    merged = dict(current)
    for key, value in (update if isinstance(update, dict) else {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_settings(merged[key], value)
        elif value in ("true", "false"):
            merged[key] = value == "true"
        elif value == "":
            merged[key] = [] if isinstance(merged.get(key), list) else None
        else:
            merged[key] = value
    return merged


def set_product_shipping(product: dict[str, Any], params: Params) -> None:
    """Whether a product ships and its package's size."""
    if "shippable" in params:
        product["shippable"] = as_bool(params["shippable"], "shippable")
    if "package_dimensions" in params:
        dimensions = params["package_dimensions"]
        product["package_dimensions"] = (
            {
                key: float(dimensions[key])
                for key in ("height", "length", "weight", "width")
                if key in dimensions
            }
            if isinstance(dimensions, dict)
            else None
        )

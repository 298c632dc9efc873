"""Prices in several currencies (Stripe's `currency_options`) and the one currency a customer's
live subscriptions share."""

from __future__ import annotations

import copy
from typing import Any

from .errors import InvalidParameter, InvalidRequest, MissingParam
from .forms import as_int
from .store import State

TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")


def currency_options_from_params(value: Any, *, currency: str) -> dict[str, dict[str, Any]]:
    """The `currency_options` a price is created with, by lowercase currency, each as Stripe
    shows it. Tiers and custom amounts are not simulated."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest("Invalid object", param="currency_options")
    options = {}
    for code, option in value.items():
        param = f"currency_options[{code}]"
        if not isinstance(option, dict):
            raise InvalidRequest("Invalid object", param=param)
        for key in option:
            if key not in ("unit_amount", "unit_amount_decimal", "tax_behavior"):
                raise InvalidRequest(
                    f"Received parameter {param}[{key}], which Stripe accepts but which is not "
                    "simulated.",
                    code="parameter_unknown",
                    param=f"{param}[{key}]",
                )
        if code.lower() == currency:
            raise InvalidRequest(
                f"The currency_options for `{code}` duplicate the price's own currency.",
                param=param,
            )
        if "unit_amount" not in option and "unit_amount_decimal" not in option:
            raise MissingParam(f"{param}[unit_amount]")
        amount = as_int(
            option.get("unit_amount", option.get("unit_amount_decimal")),
            f"{param}[unit_amount]",
        )
        tax_behavior = option.get("tax_behavior", "unspecified")
        if tax_behavior not in TAX_BEHAVIORS:
            raise InvalidParameter(
                f"Invalid {param}[tax_behavior]: must be one of exclusive, inclusive, or "
                "unspecified",
                param=f"{param}[tax_behavior]",
            )
        options[code.lower()] = {
            "custom_unit_amount": None,
            "tax_behavior": tax_behavior,
            "unit_amount": amount,
            "unit_amount_decimal": str(amount),
        }
    return options


def currency_options_shown(price: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A price's `currency_options` as `expand[]=currency_options` shows them: its own currency
    first, then the others it was given."""
    own = {
        price["currency"]: {
            "custom_unit_amount": None,
            "tax_behavior": price["tax_behavior"],
            "unit_amount": price["unit_amount"],
            "unit_amount_decimal": price["unit_amount_decimal"],
        }
    }
    return own | copy.deepcopy(price.get("_currency_options") or {})


def price_in(state: State, price: dict[str, Any], currency: str, *, param: str) -> dict[str, Any]:
    """A copy of `price` as it charges in `currency`: that option's amount in `unit_amount`.
    Stripe refuses a currency the price does not have."""
    stored = state.find("price", price["id"]) or price
    option = currency_options_shown(stored).get(currency)
    if option is None:
        raise InvalidRequest(
            f"The price `{price['id']}` does not have a `{currency}` currency option; use a "
            f"price in {currency} or add one to its `currency_options`.",
            param=param,
        )
    return {
        **price,
        "currency": currency,
        "unit_amount": option["unit_amount"],
        "unit_amount_decimal": option["unit_amount_decimal"],
    }


def customer_currency_check(state: State, customer: dict[str, Any] | None, currency: str) -> None:
    """Stripe's refusal of a second currency for a customer that has a live subscription in
    another one (a customer's subscriptions share one currency until they end)."""
    if customer is None:
        return
    for sub in state.all("subscription"):
        live = sub["status"] not in ("canceled", "incomplete_expired")
        if sub["customer"] == customer["id"] and live and sub["currency"] != currency:
            raise InvalidRequest(
                "You cannot combine currencies on a single customer. This customer has an "
                "active subscription, subscription schedule, discount, quote, or invoice item "
                f"with currency {sub['currency']}.",
                param="currency",
            )

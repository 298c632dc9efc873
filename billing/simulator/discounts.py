"""Discounts in the simulator: a promotion code redeemed at Checkout (with Stripe's refusals), the
discount it leaves on the subscription, and the amounts it takes off each invoice while it lasts."""

from __future__ import annotations

from typing import Any

from .clock import add_interval
from .errors import InvalidRequest
from .ids import new_id
from .promotion_resources import coupon_refresh
from .store import State

# What Stripe's hosted Checkout page says when it refuses a code.
INVALID = "This code is invalid."
EXPIRED = "This code has expired."
USED_UP = "This code has reached its maximum number of redemptions."
FIRST_TIME_ONLY = "This code is only valid for first-time customers."
BELOW_MINIMUM = "This code requires a larger order."


class CodeRefused(InvalidRequest):
    """A promotion code the hosted page refuses; nothing was redeemed or paid."""


def promotion_code_for_checkout(
    state: State, code: str, *, customer_id: str | None, amount: int, currency: str, at: int
) -> dict[str, Any]:
    """The active promotion code a customer typed (codes ignore case), if Stripe would take it."""
    found = next(
        (
            p
            for p in state.all("promotion_code")
            if p["active"] and p["code"].lower() == code.strip().lower()
        ),
        None,
    )
    coupon = state.find("coupon", found["promotion"]["coupon"]) if found else None
    if coupon is not None:
        coupon_refresh(coupon, at=at)
    if found is None or coupon is None or (found["customer"] not in (None, customer_id)):
        raise CodeRefused(INVALID, param="promotion_code")
    if found["expires_at"] is not None and found["expires_at"] <= at:
        raise CodeRefused(EXPIRED, param="promotion_code")
    if not coupon["valid"]:
        ran_out = coupon["max_redemptions"] is not None
        raise CodeRefused(USED_UP if ran_out else EXPIRED, param="promotion_code")
    if found["max_redemptions"] is not None and found["times_redeemed"] >= found["max_redemptions"]:
        raise CodeRefused(USED_UP, param="promotion_code")
    restrictions = found["restrictions"]
    if restrictions["first_time_transaction"] and customer_id and _has_paid(state, customer_id):
        raise CodeRefused(FIRST_TIME_ONLY, param="promotion_code")
    minimum = restrictions["minimum_amount"]
    if minimum and (restrictions["minimum_amount_currency"] != currency or amount < minimum):
        raise CodeRefused(BELOW_MINIMUM, param="promotion_code")
    return found


def _has_paid(state: State, customer_id: str) -> bool:
    """Whether the customer has a successful payment or a paid invoice already."""
    return any(
        invoice["customer"] == customer_id and invoice["status"] == "paid"
        for invoice in state.all("invoice")
    ) or any(
        charge["customer"] == customer_id and charge["status"] == "succeeded"
        for charge in state.all("charge")
    )


def redeem(
    state: State,
    promotion_code: dict[str, Any],
    *,
    customer_id: str,
    subscription_id: str,
    checkout_session: str | None,
    at: int,
) -> dict[str, Any]:
    """The discount a redeemed code puts on a subscription; both counters move by one."""
    coupon = state.get("coupon", promotion_code["promotion"]["coupon"])
    end = None
    if coupon["duration"] == "repeating":
        end = add_interval(at, "month", coupon["duration_in_months"])
    discount = {
        "id": new_id("di"),
        "object": "discount",
        # Only a session in payment mode keeps its discount; a subscription's is its own.
        "checkout_session": None,
        "customer": customer_id,
        "customer_account": None,
        "end": end,
        "invoice": None,
        "invoice_item": None,
        "promotion_code": promotion_code["id"],
        "source": {"coupon": coupon["id"], "type": "coupon"},
        "start": at,
        "subscription": subscription_id,
        "subscription_item": None,
        "_coupon": dict(coupon),
        "_checkout_session": checkout_session,
    }
    promotion_code["times_redeemed"] += 1
    coupon["times_redeemed"] += 1
    coupon_refresh(coupon, at=at)
    state.add(discount)
    return discount


def in_effect(state: State, discount_ids: list[Any], *, at: int) -> list[dict[str, Any]]:
    """The discounts of these ids that still apply at ``at`` (a repeating one ends)."""
    found = [state.find("discount", d if isinstance(d, str) else d.get("id")) for d in discount_ids]
    return [d for d in found if d is not None and (d["end"] is None or d["end"] > at)]


def apply_to_invoice(state: State, invoice: dict[str, Any], discounts: list[dict]) -> None:
    """Take each discount off the invoice's discountable lines and set its totals as Stripe does:
    ``discounts``, each line's ``discount_amounts``, ``total_discount_amounts``, the total."""
    lines = invoice["lines"]["data"]
    for discount in discounts:
        coupon = discount["_coupon"]
        products = (coupon["applies_to"] or {}).get("products")
        eligible = [
            line
            for line in lines
            if line["discountable"]
            and line["amount"] > 0
            and (not products or line["pricing"]["price_details"]["product"] in products)
        ]
        amounts = _amounts_off(coupon, eligible, currency=invoice["currency"])
        if not any(amounts):
            continue
        for line, amount in zip(eligible, amounts, strict=True):
            line["discounts"].append(discount["id"])
            line["discount_amounts"].append({"amount": amount, "discount": discount["id"]})
        invoice["discounts"].append(discount["id"])
        invoice["total_discount_amounts"].append(
            {"amount": sum(amounts), "discount": discount["id"]}
        )
    off = sum(entry["amount"] for entry in invoice["total_discount_amounts"])
    # Stripe reckons tax on the discounted amounts; whatever tax the invoice has stays on it.
    tax = sum(entry["amount"] for entry in invoice.get("total_taxes") or [])
    invoice["total_excluding_tax"] = invoice["subtotal"] - off
    total = invoice["total"] = invoice["total_excluding_tax"] + tax
    due = max(0, total + invoice["starting_balance"])
    invoice["amount_due"] = invoice["amount_remaining"] = due


def _amounts_off(coupon: dict[str, Any], lines: list[dict], *, currency: str) -> list[int]:
    """How much of each line the coupon takes: a percentage of each, or a fixed amount shared
    out in proportion (never more than the lines come to)."""
    if coupon["percent_off"] is not None:
        return [round(line["amount"] * coupon["percent_off"] / 100) for line in lines]
    if coupon["currency"] != currency or not lines:
        return [0] * len(lines)
    subtotal = sum(line["amount"] for line in lines)
    off = min(coupon["amount_off"], subtotal)
    shares = [off * line["amount"] // subtotal for line in lines]
    shares[-1] += off - sum(shares)
    return shares

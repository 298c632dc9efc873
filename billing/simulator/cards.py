"""Stripe's test cards and tokens: the brand and last four digits of each, and whether its
charges decline."""

from __future__ import annotations

from typing import Any

# Stripe's test payment methods: the brand, last four digits and whether charges decline.
TEST_CARDS: dict[str, dict[str, Any]] = {
    "pm_card_visa": {"brand": "visa", "last4": "4242", "declines": False},
    "pm_card_mastercard": {"brand": "mastercard", "last4": "4444", "declines": False},
    "pm_card_amex": {"brand": "amex", "last4": "8431", "declines": False},
    "pm_card_chargeDeclined": {"brand": "visa", "last4": "0002", "declines": True},
    "pm_card_visa_chargeDeclined": {"brand": "visa", "last4": "0002", "declines": True},
    "pm_card_chargeCustomerFail": {"brand": "visa", "last4": "0341", "declines": True},
}
TEST_TOKENS = {
    "tok_visa": "pm_card_visa",
    "tok_mastercard": "pm_card_mastercard",
    "tok_chargeDeclined": "pm_card_chargeDeclined",
    "tok_chargeCustomerFail": "pm_card_chargeCustomerFail",
}

"""Stripe's test cards and tokens: which charges decline, which cards Stripe refuses to attach
to a customer, with the error each gives, and which need 3-D Secure authentication."""

from __future__ import annotations

from typing import Any

# Stripe's test payment methods: brand, last four digits, whether charges decline, whether
# attaching the card to a customer is refused (Stripe checks the card then), and the error.
GENERIC_DECLINE = ("card_declined", "generic_decline", "Your card was declined.")
DECLINES = {
    "ChargeDeclined": ("0002", GENERIC_DECLINE),
    "ChargeDeclinedInsufficientFunds": (
        "9995",
        ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    ),
    "ChargeDeclinedLostCard": ("9987", ("card_declined", "lost_card", "Your card was declined.")),
    "ChargeDeclinedStolenCard": (
        "9979",
        ("card_declined", "stolen_card", "Your card was declined."),
    ),
    "ChargeDeclinedExpiredCard": (
        "0069",
        ("expired_card", "expired_card", "Your card has expired."),
    ),
    "ChargeDeclinedIncorrectCvc": (
        "0127",
        ("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    ),
    "ChargeDeclinedProcessingError": (
        "0119",
        (
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
        ),
    ),
    "ChargeDeclinedVelocityLimitExceeded": (
        "6975",
        (
            "card_declined",
            "card_velocity_exceeded",
            "Your card was declined for making repeated attempts too frequently or exceeding "
            "its amount limit.",
        ),
    ),
}


def _card(
    brand: str,
    last4: str,
    decline: tuple[str, str, str] | None,
    attaches: bool,
    authenticates: bool = False,
) -> dict:
    return {
        "brand": brand,
        "last4": last4,
        "declines": decline is not None,
        "decline": decline,
        "attach_declines": not attaches,
        "authenticates": authenticates,
    }


TEST_CARDS: dict[str, dict[str, Any]] = {
    "pm_card_visa": _card("visa", "4242", None, True),
    "pm_card_mastercard": _card("mastercard", "4444", None, True),
    "pm_card_amex": _card("amex", "8431", None, True),
    # Attaches, then every charge fails (Stripe's 4000 0000 0000 0341).
    "pm_card_chargeCustomerFail": _card("visa", "0341", GENERIC_DECLINE, True),
    # 3-D Secure: a charge Stripe makes by itself (a subscription's invoice) needs the
    # cardholder to authenticate (4000 0025 0000 3155, not set up with a SetupIntent, which is
    # not simulated; 4000 0027 6000 3184 always). Paying on the hosted invoice page, with the
    # cardholder there to authenticate, succeeds.
    "pm_card_authenticationRequiredOnSetup": _card("visa", "3155", None, True, True),
    "pm_card_authenticationRequired": _card("visa", "3184", None, True, True),
}
TEST_TOKENS = {
    "tok_visa": "pm_card_visa",
    "tok_mastercard": "pm_card_mastercard",
    "tok_amex": "pm_card_amex",
    "tok_chargeCustomerFail": "pm_card_chargeCustomerFail",
    "tok_authenticationRequiredOnSetup": "pm_card_authenticationRequiredOnSetup",
    "tok_authenticationRequired": "pm_card_authenticationRequired",
}
for _suffix, (_last4, _decline) in DECLINES.items():
    # Stripe names each both ways (pm_card_chargeDeclined…, pm_card_visa_chargeDeclined…).
    _name = _suffix[0].lower() + _suffix[1:]
    for _prefix in ("pm_card_", "pm_card_visa_"):
        TEST_CARDS[_prefix + _name] = _card("visa", _last4, _decline, False)
    for _prefix in ("tok_", "tok_visa_"):
        TEST_TOKENS[_prefix + _name] = "pm_card_" + _name

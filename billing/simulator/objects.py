"""Builders for each Stripe resource in its current API shape (the keys of Stripe's fixtures)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .cards import TEST_CARDS
from .ids import new_id, random_token

API_VERSION = "2026-08-26.dahlia"

EMPTY_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def money(amount: int, currency: str) -> str:
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency, "")
    text = f"{Decimal(abs(amount)).scaleb(-2):,.2f}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency.upper()}"


def short_date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%-d %b %Y")


def address(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    return {key: value.get(key) for key in EMPTY_ADDRESS_KEYS}


def shipping(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    return {
        "address": address(value.get("address")) or {key: None for key in EMPTY_ADDRESS_KEYS},
        "name": value.get("name"),
        "phone": value.get("phone"),
    }


def account(created: int) -> dict[str, Any]:
    account_id = new_id("acct")
    empty_requirements = {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": [],
        "disabled_reason": None,
        "errors": [],
        "eventually_due": [],
        "past_due": [],
        "pending_verification": [],
    }
    return {
        "id": account_id,
        "object": "account",
        "business_profile": {
            "annual_revenue": None,
            "estimated_worker_count": None,
            "mcc": "4214",
            "minority_owned_business_designation": None,
            "name": "LogiNexus",
            "product_description": "Shipment and escrow tracking for logistics companies",
            "support_address": None,
            "support_email": "support@loginexus.test",
            "support_phone": None,
            "support_url": None,
            "url": "https://loginexus.test",
        },
        "business_type": "company",
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "company": None,
        "controller": {"type": "account"},
        "country": "US",
        "created": created,
        "default_currency": "usd",
        "details_submitted": True,
        "email": "billing@loginexus.test",
        "external_accounts": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/accounts/{account_id}/external_accounts",
        },
        "future_requirements": dict(empty_requirements),
        "groups": None,
        "individual": None,
        "metadata": {},
        "payouts_enabled": True,
        "requirements": dict(empty_requirements),
        "settings": {
            "bacs_debit_payments": {"display_name": None, "service_user_number": None},
            "branding": {
                "icon": None,
                "logo": None,
                "primary_color": "#1f4b99",
                "secondary_color": None,
            },
            "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
            "card_payments": {
                "decline_on": {"avs_failure": False, "cvc_failure": False},
                "statement_descriptor_prefix": "LOGINEXUS",
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "dashboard": {"display_name": "LogiNexus (demo)", "timezone": "Etc/UTC"},
            "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": "offer"},
            "payments": {
                "statement_descriptor": "LOGINEXUS",
                "statement_descriptor_kana": None,
                "statement_descriptor_kanji": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            },
            "sepa_debit_payments": {},
        },
        "tos_acceptance": {"date": created, "ip": "127.0.0.1", "user_agent": None},
        "type": "standard",
    }


def customer(*, created: int, params: dict[str, Any], test_clock: str | None) -> dict[str, Any]:
    return {
        "id": new_id("cus"),
        "object": "customer",
        "address": address(params.get("address")),
        "balance": 0,
        "business_name": None,
        "created": created,
        "currency": None,
        "customer_account": None,
        "default_source": None,
        "delinquent": False,
        "description": params.get("description"),
        "discount": None,
        "email": params.get("email"),
        "individual_name": None,
        "invoice_prefix": secrets.token_hex(4).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": params.get("name"),
        "next_invoice_sequence": 1,
        "phone": params.get("phone"),
        "preferred_locales": list(params.get("preferred_locales") or []),
        "shipping": None,
        "tax_exempt": params.get("tax_exempt", "none"),
        "test_clock": test_clock,
    }


def product(*, created: int, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": params.get("id") or new_id("prod"),
        "object": "product",
        "active": True,
        "created": created,
        "default_price": None,
        "description": params.get("description"),
        "images": list(params.get("images") or []),
        "livemode": False,
        "marketing_features": [
            {"name": feature.get("name")} for feature in params.get("marketing_features") or []
        ],
        "metadata": {},
        "name": params["name"],
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": params.get("statement_descriptor"),
        "tax_code": params.get("tax_code"),
        "type": params.get("type") or "service",
        "unit_label": params.get("unit_label"),
        "updated": created,
        "url": params.get("url"),
    }


def price(
    *,
    created: int,
    product_id: str,
    currency: str,
    unit_amount: int,
    recurring: dict[str, Any] | None,
    lookup_key: str | None,
    nickname: str | None,
) -> dict[str, Any]:
    return {
        "id": new_id("price"),
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": {},
        "nickname": nickname,
        "product": product_id,
        "recurring": recurring,
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def plan_from_price(price_obj: dict[str, Any]) -> dict[str, Any]:
    """The legacy ``plan`` view of a recurring price, as Stripe still sends on items."""
    recurring = price_obj.get("recurring") or {}
    return {
        "id": price_obj["id"],
        "object": "plan",
        "active": price_obj["active"],
        "amount": price_obj["unit_amount"],
        "amount_decimal": price_obj["unit_amount_decimal"],
        "billing_scheme": price_obj["billing_scheme"],
        "created": price_obj["created"],
        "currency": price_obj["currency"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"),
        "livemode": False,
        "metadata": dict(price_obj["metadata"]),
        "meter": recurring.get("meter"),
        "nickname": price_obj["nickname"],
        "product": price_obj["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": recurring.get("usage_type", "licensed"),
    }


def payment_method(
    *,
    created: int,
    test_card: str,
    customer_id: str | None,
    billing_details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    card = TEST_CARDS[test_card]
    details = billing_details or {}
    return {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": address(details.get("address")) or {key: None for key in EMPTY_ADDRESS_KEYS},
            "email": details.get("email"),
            "name": details.get("name"),
            "phone": details.get("phone"),
            "tax_id": None,
        },
        "card": {
            "brand": card["brand"],
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": "US",
            "display_brand": card["brand"],
            "exp_month": 12,
            "exp_year": datetime.fromtimestamp(created, tz=UTC).year + 3,
            "fingerprint": random_token(16),
            "funding": "credit",
            "generated_from": None,
            "last4": card["last4"],
            "networks": {"available": [card["brand"]], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": created,
        "customer": customer_id,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "radar_options": None,
        "type": "card",
        "_test_card": test_card,
        "_declines": card["declines"],
        "_decline": card["decline"],
        "_attach_declines": card["attach_declines"],
        "_authenticates": card["authenticates"],
    }


def charge(
    *,
    created: int,
    customer_id: str,
    amount: int,
    currency: str,
    pm: dict[str, Any],
    succeeded: bool,
    description: str,
    receipt_url: str | None,
) -> dict[str, Any]:
    card = pm["card"]
    charge_id = new_id("ch")
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if succeeded else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "authorization_code": None,
        "balance_transaction": None,
        "billing_details": pm["billing_details"],
        "calculated_statement_descriptor": "LOGINEXUS",
        "captured": succeeded,
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None if succeeded else "card_declined",
        "failure_message": None if succeeded else "Your card was declined.",
        "fraud_details": {},
        "level3": None,
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None if succeeded else "try_again_later",
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network" if succeeded else "declined_by_network",
            "reason": None if succeeded else "generic_decline",
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": "Payment complete."
            if succeeded
            else "The bank did not return any further details with this decline.",
            "type": "authorized" if succeeded else "issuer_declined",
        },
        "paid": succeeded,
        "payment_intent": None,
        "payment_method": pm["id"],
        "presentment_details": None,
        "payment_method_details": {
            "card": {
                "amount_authorized": amount if succeeded else None,
                "authorization_code": None,
                "brand": card["brand"],
                "checks": card["checks"],
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "extended_authorization": {"status": "disabled"},
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "incremental_authorization": {"status": "unavailable"},
                "installments": None,
                "last4": card["last4"],
                "mandate": None,
                "multicapture": {"status": "unavailable"},
                "network": card["brand"],
                "network_token": {"used": False},
                "network_transaction_id": random_token(15) if succeeded else None,
                "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
                "regulated_status": "unregulated",
                "three_d_secure": None,
                "transaction_link_id": None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": None,
        "receipt_number": None,
        "radar_options": None,
        "receipt_url": receipt_url,
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/charges/{charge_id}/refunds",
        },
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if succeeded else "failed",
        "transfer": None,
        "transfer_data": None,
        "transfer_group": None,
    }


def webhook_endpoint(
    *,
    created: int,
    url: str,
    enabled_events: list[str],
    description: str | None,
    secret: str,
    api_version: str | None,
) -> dict[str, Any]:
    return {
        "id": new_id("we"),
        "object": "webhook_endpoint",
        "api_version": api_version,
        "application": None,
        "created": created,
        "description": description,
        "enabled_events": enabled_events,
        "livemode": False,
        "metadata": {},
        "status": "enabled",
        "url": url,
        "_secret": secret,
    }


def test_clock(*, created: int, frozen_time: int, name: str | None) -> dict[str, Any]:
    return {
        "id": new_id("clock"),
        "object": "test_helpers.test_clock",
        "created": created,
        "deletes_after": created + 30 * 86400,
        "frozen_time": frozen_time,
        "livemode": False,
        "name": name,
        "status": "ready",
        "status_details": {},
    }


def portal_configuration(*, created: int, is_default: bool) -> dict[str, Any]:
    return {
        "id": new_id("bpc"),
        "object": "billing_portal.configuration",
        "active": True,
        "application": None,
        "business_profile": {
            "headline": "LogiNexus partners with Stripe for simplified billing.",
            "privacy_policy_url": None,
            "terms_of_service_url": None,
        },
        "created": created,
        "default_return_url": None,
        "features": {
            "customer_update": {"allowed_updates": ["email", "address"], "enabled": True},
            "invoice_history": {"enabled": True},
            "payment_method_update": {"enabled": True, "payment_method_configuration": None},
            "subscription_cancel": {
                "cancellation_reason": {"enabled": False, "options": []},
                "enabled": True,
                "mode": "at_period_end",
                "proration_behavior": "none",
            },
            "subscription_update": {
                "billing_cycle_anchor": None,
                "default_allowed_updates": ["price"],
                "enabled": True,
                "products": None,
                "proration_behavior": "create_prorations",
                "schedule_at_period_end": {"conditions": []},
                "trial_update_behavior": "end_trial",
            },
        },
        "is_default": is_default,
        "livemode": False,
        "login_page": {"enabled": False, "url": None},
        "metadata": {},
        "name": None,
        "updated": created,
    }


def entitlement_feature(*, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_id("feat"),
        "object": "entitlements.feature",
        "active": True,
        "livemode": False,
        "lookup_key": params["lookup_key"],
        "metadata": {},
        "name": params["name"],
    }


def event(
    *,
    created: int,
    event_type: str,
    data_object: dict[str, Any],
    previous_attributes: dict[str, Any] | None,
    request: dict[str, Any],
) -> dict[str, Any]:
    data: dict[str, Any] = {"object": data_object}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": new_id("evt"),
        "object": "event",
        "account": None,
        "api_version": API_VERSION,
        "context": None,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 0,
        "request": request,
        "type": event_type,
    }

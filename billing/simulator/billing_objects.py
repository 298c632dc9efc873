"""Builders for the billing resources: subscriptions, invoices and lines, Checkout, portal."""

from __future__ import annotations

import copy
from typing import Any

from .errors import InvalidRequest
from .ids import new_id
from .objects import plan_from_price


def is_metered(price_obj: dict[str, Any]) -> bool:
    return (price_obj.get("recurring") or {}).get("usage_type") == "metered"


def subscription_item(
    *,
    subscription_id: str,
    price_obj: dict[str, Any],
    quantity: int | None,
    created: int,
    period_start: int,
    period_end: int,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A metered price's item has no quantity: its usage is billed at the period's end."""
    item = {
        "id": new_id("si"),
        "object": "subscription_item",
        "billed_until": None,
        "billing_thresholds": None,
        "created": created,
        "current_period_end": period_end,
        "current_period_start": period_start,
        "discounts": [],
        "metadata": metadata or {},
        "plan": plan_from_price(price_obj),
        "price": copy.deepcopy(price_obj),
        "quantity": quantity,
        "subscription": subscription_id,
        "tax_rates": [],
    }
    if is_metered(price_obj):
        del item["quantity"]
    return item


def item_quantity(
    price_obj: dict[str, Any], change: dict[str, Any], param: str, as_int
) -> int | None:
    """The quantity an item's parameters ask for: 1 by default; none (refused if given) for a
    metered price, as Stripe refuses it."""
    if is_metered(price_obj):
        if "quantity" in change:
            raise_quantity_refused(param)
        return None
    return as_int(change.get("quantity", 1), param)


def raise_quantity_refused(param: str) -> None:
    raise InvalidRequest(
        "Quantity should not be specified where usage_type is `metered`. Remove quantity from "
        f"`{param.rsplit('[quantity]', 1)[0]}`.",
        param=param,
    )


def subscription(
    *,
    subscription_id: str,
    customer_id: str,
    created: int,
    currency: str,
    default_payment_method: str | None,
    metadata: dict[str, str],
    test_clock: str | None,
) -> dict[str, Any]:
    return {
        "id": subscription_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": created,
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic"},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": default_payment_method,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": {"type": "self"},
        },
        "items": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/subscription_items?subscription={subscription_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": metadata,
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "presentment_details": None,
        "schedule": None,
        "start_date": created,
        "status": "incomplete",
        "test_clock": test_clock,
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
        "_pending_items": [],
    }


def invoice_line(
    *,
    amount: int,
    currency: str,
    description: str,
    period_start: int,
    period_end: int,
    quantity: int,
    price_obj: dict[str, Any],
    subscription_id: str | None,
    subscription_item_id: str | None,
    proration: bool,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    if proration:
        parent = {
            "invoice_item_details": {
                "invoice_item": new_id("ii"),
                "proration": True,
                "proration_details": {"credited_items": None},
                "subscription": subscription_id,
            },
            "subscription_item_details": None,
            "type": "invoice_item_details",
        }
    else:
        parent = {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": subscription_id,
                "subscription_item": subscription_item_id,
            },
            "type": "subscription_item_details",
        }
    return {
        "id": new_id("il"),
        "object": "line_item",
        "amount": amount,
        "currency": currency,
        "description": description,
        "discount_amounts": [],
        "discountable": not proration,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": metadata or {},
        "parent": parent,
        "period": {"end": period_end, "start": period_start},
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": price_obj["id"], "product": price_obj["product"]},
            "type": "price_details",
            "unit_amount_decimal": price_obj["unit_amount_decimal"],
        },
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "subscription": subscription_id,
        "subtotal": amount,
        "taxes": [],
    }


def invoice(
    *,
    invoice_id: str,
    customer: dict[str, Any],
    subscription_obj: dict[str, Any] | None,
    billing_reason: str,
    lines: list[dict[str, Any]],
    created: int,
    currency: str,
    period_start: int,
    period_end: int,
    account_name: str,
) -> dict[str, Any]:
    total = sum(line["amount"] for line in lines)
    starting_balance = customer["balance"]
    applied = total + starting_balance
    for line in lines:
        line["invoice"] = invoice_id
    parent = None
    if subscription_obj is not None:
        parent = {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(subscription_obj["metadata"]),
                "subscription": subscription_obj["id"],
            },
            "type": "subscription_details",
        }
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": account_name,
        "account_tax_ids": None,
        "amount_due": max(0, applied),
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_paid_off_stripe": 0,
        "amount_remaining": max(0, applied),
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": created + 3600,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "confirmation_secret": None,
        "created": created,
        "currency": currency,
        "custom_fields": None,
        "customer": customer["id"],
        "customer_account": None,
        "customer_address": customer["address"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": customer["phone"],
        "customer_shipping": customer["shipping"],
        "customer_tax_exempt": customer["tax_exempt"],
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "total_count": len(lines),
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": parent,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": period_end,
        "period_start": period_start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": starting_balance,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subscription": None,
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "test_clock": customer["test_clock"],
        "threshold_reason": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    }


def checkout_item(*, price_obj: dict[str, Any], product_name: str, quantity: int) -> dict[str, Any]:
    amount = price_obj["unit_amount"] * quantity
    return {
        "id": new_id("li"),
        "object": "item",
        "adjustable_quantity": None,
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": price_obj["currency"],
        "description": product_name,
        "metadata": {},
        "price": copy.deepcopy(price_obj),
        "quantity": quantity,
    }


def checkout_session(
    *, session_id: str, created: int, params: dict[str, Any], items: list[dict[str, Any]], url: str
) -> dict[str, Any]:
    amount = sum(item["amount_total"] for item in items)
    return {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": params.get("allow_promotion_codes") in ("true", True),
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": params.get("billing_address_collection"),
        "branding_settings": None,
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": items[0]["currency"] if items else "usd",
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": params.get("customer"),
        "customer_account": None,
        "customer_creation": None if params.get("customer") else "always",
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "discounts": [],
        "excluded_payment_method_types": None,
        "expires_at": created + 24 * 3600,
        "integration_identifier": None,
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": params.get("locale"),
        "managed_payments": {"enabled": False},
        "metadata": {},
        "mode": params["mode"],
        "name_collection": None,
        "optional_items": None,
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": params.get("payment_method_collection", "always"),
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "presentment_details": None,
        "recovered_from": None,
        "redirect_on_completion": None,
        "return_url": None,
        "saved_payment_method_options": {
            "allow_redisplay_filters": ["always"],
            "payment_method_remove": "disabled",
            "payment_method_save": None,
        },
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": params.get("success_url"),
        "tax_id_collection": {"enabled": False, "required": "never"},
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": url,
        "wallet_options": None,
        "_line_items": items,
        "_subscription_data": params.get("subscription_data") or {},
        "_last_error": None,
    }


def portal_session(
    *,
    session_id: str,
    created: int,
    customer_id: str,
    configuration_id: str,
    return_url: str | None,
    url: str,
    flow: dict[str, Any] | None,
    locale: str | None,
) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "billing_portal.session",
        "configuration": configuration_id,
        "created": created,
        "customer": customer_id,
        "customer_account": None,
        "flow": flow,
        "livemode": False,
        "locale": locale,
        "on_behalf_of": None,
        "return_url": return_url,
        "url": url,
    }

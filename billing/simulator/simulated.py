"""Which of Stripe's parameters each route simulates, and the check every API request passes
before its handler runs: Stripe's own refusals first, then "not simulated" for the rest.

Each route lists the parameters its handler implements, as dotted paths (``line_items.price``;
list positions left out) covering everything below them; ``expand`` is always simulated. A
parameter Stripe accepts outside that list is refused rather than silently ignored."""

from __future__ import annotations

import functools
from typing import Any

from .params import Coverage, check_params
from .routing import Handler, registered
from .shapes import check_expand
from .stripe_spec import Endpoint, endpoint, fields_of

PAGES = ("limit", "starting_after", "ending_before")
LISTING = (*PAGES, "created")
CUSTOMER_FIELDS = (
    "address",
    "balance",
    "business_name",
    "description",
    "email",
    "individual_name",
    "invoice_prefix",
    "invoice_settings.custom_fields",
    "invoice_settings.default_payment_method",
    "invoice_settings.footer",
    "invoice_settings.rendering_options",
    "metadata",
    "name",
    "next_invoice_sequence",
    "phone",
    "preferred_locales",
    "shipping",
    "tax_exempt",
)
PRODUCT_FIELDS = (
    "active",
    "description",
    "images",
    "marketing_features",
    "metadata",
    "name",
    "package_dimensions",
    "shippable",
    "statement_descriptor",
    "tax_code",
    "unit_label",
    "url",
)
ITEM_CHANGES = ("id", "price", "quantity", "metadata", "deleted")

SIMULATED: dict[tuple[str, str], tuple[str, ...]] = {
    # Checkout and the customer portal
    ("POST", "/v1/checkout/sessions"): (
        "allow_promotion_codes",
        "automatic_tax.enabled",
        "billing_address_collection",
        "cancel_url",
        "client_reference_id",
        "currency",
        "customer",
        "customer_email",
        "customer_update.address",
        "customer_update.name",
        "line_items.price",
        "line_items.quantity",
        "locale",
        "metadata",
        "mode",
        "subscription_data.metadata",
        "subscription_data.trial_period_days",
        "success_url",
        "tax_id_collection.enabled",
    ),
    ("GET", "/v1/checkout/sessions/{session}"): (),
    ("GET", "/v1/checkout/sessions"): (*LISTING, "customer", "status", "subscription"),
    ("GET", "/v1/checkout/sessions/{session}/line_items"): PAGES,
    ("POST", "/v1/checkout/sessions/{session}/expire"): (),
    ("POST", "/v1/billing_portal/sessions"): ("configuration", "customer", "locale", "return_url"),
    ("GET", "/v1/billing_portal/configurations"): PAGES,
    ("GET", "/v1/billing_portal/configurations/{configuration}"): (),
    ("POST", "/v1/billing_portal/configurations"): (
        "business_profile",
        "default_return_url",
        "features",
        "metadata",
        "name",
    ),
    # Subscriptions and invoices
    ("POST", "/v1/subscriptions"): (
        "automatic_tax.enabled",
        "cancel_at_period_end",
        "currency",
        "customer",
        "default_payment_method",
        "items.price",
        "items.quantity",
        "metadata",
        "payment_behavior",
        "payment_settings.save_default_payment_method",
        "trial_period_days",
        "trial_settings.end_behavior.missing_payment_method",
    ),
    ("GET", "/v1/subscriptions/{subscription}"): (),
    ("POST", "/v1/subscriptions/{subscription}"): (
        "automatic_tax.enabled",
        "cancel_at_period_end",
        "default_payment_method",
        "description",
        *(f"items.{key}" for key in ITEM_CHANGES),
        "metadata",
        "payment_behavior",
        "proration_behavior",
        "proration_date",
    ),
    ("DELETE", "/v1/subscriptions/{subscription}"): ("invoice_now",),
    ("POST", "/v1/subscriptions/{subscription}/resume"): (),
    ("GET", "/v1/subscriptions"): (*LISTING, "customer", "price", "status", "test_clock"),
    ("GET", "/v1/subscription_items"): (*PAGES, "subscription"),
    ("GET", "/v1/subscription_items/{item}"): (),
    ("POST", "/v1/subscription_items/{item}"): (
        "metadata",
        "payment_behavior",
        "price",
        "proration_behavior",
        "proration_date",
        "quantity",
    ),
    ("POST", "/v1/subscription_items"): (
        "metadata",
        "payment_behavior",
        "price",
        "proration_behavior",
        "proration_date",
        "quantity",
        "subscription",
    ),
    ("DELETE", "/v1/subscription_items/{item}"): (
        "payment_behavior",
        "proration_behavior",
        "proration_date",
    ),
    ("POST", "/v1/subscription_schedules"): (
        "customer",
        "end_behavior",
        "from_subscription",
        "metadata",
        "phases",
    ),
    ("GET", "/v1/subscription_schedules/{schedule}"): (),
    ("POST", "/v1/subscription_schedules/{schedule}"): (
        "end_behavior",
        "metadata",
        "phases.duration",
        "phases.end_date",
        "phases.items.metadata",
        "phases.items.price",
        "phases.items.quantity",
        "phases.metadata",
        "phases.proration_behavior",
        "phases.start_date",
    ),
    ("POST", "/v1/subscription_schedules/{schedule}/release"): (),
    ("POST", "/v1/subscription_schedules/{schedule}/cancel"): (),
    ("GET", "/v1/subscription_schedules"): (*LISTING, "customer", "scheduled"),
    ("POST", "/v1/invoices"): (
        "auto_advance",
        "collection_method",
        "customer",
        "days_until_due",
        "due_date",
        "metadata",
        "pending_invoice_items_behavior",
        "subscription",
    ),
    ("POST", "/v1/invoices/{invoice}/finalize"): ("auto_advance",),
    ("GET", "/v1/invoices/{invoice}"): (),
    ("GET", "/v1/invoices"): (*LISTING, "customer", "status", "subscription"),
    ("GET", "/v1/invoices/{invoice}/lines"): PAGES,
    ("POST", "/v1/invoices/{invoice}/pay"): ("payment_method",),
    ("POST", "/v1/invoices/{invoice}/void"): (),
    ("POST", "/v1/invoices/create_preview"): (
        "customer",
        "subscription",
        *(f"subscription_details.items.{key}" for key in ITEM_CHANGES),
        "subscription_details.proration_behavior",
        "subscription_details.proration_date",
    ),
    # The account, customers and the catalogue
    ("GET", "/v1/account"): (),
    ("GET", "/v1/accounts"): LISTING,
    ("GET", "/v1/accounts/{account}"): (),
    ("POST", "/v1/customers"): (
        *CUSTOMER_FIELDS,
        "payment_method",
        "source",
        "tax_id_data",
        "test_clock",
    ),
    ("GET", "/v1/customers/{customer}"): (),
    ("POST", "/v1/customers/{customer}"): CUSTOMER_FIELDS,
    ("DELETE", "/v1/customers/{customer}"): (),
    ("GET", "/v1/customers"): (*LISTING, "email", "test_clock"),
    ("GET", "/v1/customers/{customer}/sources"): (*PAGES, "object"),
    ("GET", "/v1/customers/{customer}/payment_methods"): (*PAGES, "type"),
    ("POST", "/v1/customers/{customer}/tax_ids"): ("type", "value"),
    ("GET", "/v1/customers/{customer}/tax_ids"): PAGES,
    ("GET", "/v1/customers/{customer}/tax_ids/{tax_id}"): (),
    ("DELETE", "/v1/customers/{customer}/tax_ids/{tax_id}"): (),
    ("GET", "/v1/tax_rates/{tax_rate}"): (),
    ("POST", "/v1/products"): (
        *PRODUCT_FIELDS,
        "default_price_data.currency",
        "default_price_data.metadata",
        "default_price_data.recurring.interval",
        "default_price_data.recurring.interval_count",
        "default_price_data.tax_behavior",
        "default_price_data.unit_amount",
        "id",
        "type",
    ),
    ("GET", "/v1/products/{product}"): (),
    ("POST", "/v1/products/{product}"): (*PRODUCT_FIELDS, "default_price"),
    ("DELETE", "/v1/products/{product}"): (),
    ("GET", "/v1/products"): (*LISTING, "active", "ids", "shippable", "type", "url"),
    ("POST", "/v1/prices"): (
        "active",
        "currency",
        "currency_options",
        "lookup_key",
        "metadata",
        "nickname",
        "product",
        "product_data",
        "recurring.interval",
        "recurring.interval_count",
        "recurring.meter",
        "recurring.usage_type",
        "tax_behavior",
        "transfer_lookup_key",
        "unit_amount",
    ),
    ("GET", "/v1/prices/{price}"): (),
    ("POST", "/v1/prices/{price}"): (
        "active",
        "lookup_key",
        "metadata",
        "nickname",
        "tax_behavior",
        "transfer_lookup_key",
    ),
    ("GET", "/v1/prices"): (*LISTING, "active", "currency", "lookup_keys", "product", "type"),
    ("POST", "/v1/coupons"): (
        "amount_off",
        "applies_to.products",
        "currency",
        "duration",
        "duration_in_months",
        "id",
        "max_redemptions",
        "metadata",
        "name",
        "percent_off",
        "redeem_by",
    ),
    ("GET", "/v1/coupons/{coupon}"): (),
    ("POST", "/v1/coupons/{coupon}"): ("metadata", "name"),
    ("DELETE", "/v1/coupons/{coupon}"): (),
    ("GET", "/v1/coupons"): LISTING,
    ("POST", "/v1/promotion_codes"): (
        "active",
        "code",
        "customer",
        "expires_at",
        "max_redemptions",
        "metadata",
        "promotion.coupon",
        "promotion.type",
        "restrictions.first_time_transaction",
        "restrictions.minimum_amount",
        "restrictions.minimum_amount_currency",
    ),
    ("GET", "/v1/promotion_codes/{promotion_code}"): (),
    ("POST", "/v1/promotion_codes/{promotion_code}"): ("active", "metadata"),
    ("GET", "/v1/promotion_codes"): (*LISTING, "active", "code", "coupon", "customer"),
    ("POST", "/v1/entitlements/features"): ("lookup_key", "metadata", "name"),
    ("GET", "/v1/entitlements/features"): (*PAGES, "archived", "lookup_key"),
    ("GET", "/v1/entitlements/features/{feature}"): (),
    ("POST", "/v1/products/{product}/features"): ("entitlement_feature",),
    ("GET", "/v1/products/{product}/features"): PAGES,
    # Payment methods, charges, events, webhook endpoints and test clocks
    ("POST", "/v1/payment_methods"): (
        "billing_details.address",
        "billing_details.email",
        "billing_details.name",
        "billing_details.phone",
        "card.token",
        "metadata",
        "type",
    ),
    ("GET", "/v1/payment_methods/{payment_method}"): (),
    ("POST", "/v1/payment_methods/{payment_method}/attach"): ("customer",),
    ("POST", "/v1/payment_methods/{payment_method}/detach"): (),
    ("GET", "/v1/payment_methods"): (*PAGES, "customer", "type"),
    ("GET", "/v1/charges/{charge}"): (),
    ("GET", "/v1/charges"): (*LISTING, "customer"),
    ("GET", "/v1/events/{event}"): (),
    ("GET", "/v1/events"): (*LISTING, "type", "types"),
    ("POST", "/v1/webhook_endpoints"): (
        "api_version",
        "description",
        "enabled_events",
        "metadata",
        "url",
    ),
    ("GET", "/v1/webhook_endpoints/{webhook_endpoint}"): (),
    ("POST", "/v1/webhook_endpoints/{webhook_endpoint}"): (
        "description",
        "disabled",
        "enabled_events",
        "metadata",
        "url",
    ),
    ("DELETE", "/v1/webhook_endpoints/{webhook_endpoint}"): (),
    ("GET", "/v1/webhook_endpoints"): PAGES,
    ("POST", "/v1/test_helpers/test_clocks"): ("frozen_time", "name"),
    ("GET", "/v1/test_helpers/test_clocks/{test_clock}"): (),
    ("GET", "/v1/test_helpers/test_clocks"): PAGES,
    ("DELETE", "/v1/test_helpers/test_clocks/{test_clock}"): (),
    ("POST", "/v1/test_helpers/test_clocks/{test_clock}/advance"): ("frozen_time",),
    # Usage-based billing
    ("POST", "/v1/billing/meters"): (
        "customer_mapping.event_payload_key",
        "customer_mapping.type",
        "default_aggregation.formula",
        "display_name",
        "event_name",
        "value_settings.event_payload_key",
    ),
    ("GET", "/v1/billing/meters/{id}"): (),
    ("GET", "/v1/billing/meters"): (*PAGES, "status"),
    ("POST", "/v1/billing/meters/{id}/deactivate"): (),
    ("POST", "/v1/billing/meters/{id}/reactivate"): (),
    ("POST", "/v1/billing/meter_events"): ("event_name", "identifier", "payload", "timestamp"),
    ("GET", "/v1/billing/meters/{id}/event_summaries"): (
        *PAGES,
        "customer",
        "end_time",
        "start_time",
        "value_grouping_window",
    ),
}


@functools.cache
def _routes() -> dict[Handler, tuple[Endpoint, Coverage]]:
    """Each declared route's handler, with Stripe's endpoint and what the route simulates."""
    found = {}
    for method, pattern, handler in registered():
        declared = SIMULATED.get((method, pattern))
        stripe_endpoint = endpoint(method, pattern)
        if declared is not None and stripe_endpoint is not None:
            found[handler] = (stripe_endpoint, Coverage(declared))
    return found


def check_request(handler: Handler, params: dict[str, Any]) -> None:
    """Refuse what Stripe refuses, then what the simulator does not simulate.

    A route missing from ``SIMULATED`` is not checked here; tests/simulator's conformance test
    fails for it until it is declared."""
    found = _routes().get(handler)
    if found is None:
        return
    stripe_endpoint, coverage = found
    check_params(fields_of(stripe_endpoint.params), params, coverage)
    check_expand(stripe_endpoint.answer, params.get("expand"))


def undeclared_routes() -> list[tuple[str, str]]:
    """Routes served without a declaration here, or that Stripe's API does not have."""
    return [
        (method, pattern)
        for method, pattern, _ in registered()
        if (method, pattern) not in SIMULATED or endpoint(method, pattern) is None
    ]

"""Shared steps for the simulator tests: the LogiNexus catalogue and a paid Checkout."""

from __future__ import annotations

from typing import Any

import requests
import stripe

PLANS = {
    "pro_monthly": ("pro", 4900, "month"),
    "pro_yearly": ("pro", 49000, "year"),
    "enterprise_monthly": ("enterprise", 19900, "month"),
    "enterprise_yearly": ("enterprise", 199000, "year"),
}


def create_catalogue(client: stripe.StripeClient) -> dict[str, Any]:
    products = {
        plan: client.v1.products.create(
            params={"name": f"LogiNexus {plan.title()}", "metadata": {"loginexus_plan": plan}}
        )
        for plan in ("pro", "enterprise")
    }
    return {
        key: client.v1.prices.create(
            params={
                "product": products[plan].id,
                "currency": "usd",
                "unit_amount": amount,
                "recurring": {"interval": interval},
                "lookup_key": key,
            }
        )
        for key, (plan, amount, interval) in PLANS.items()
    }


def checkout(
    client: stripe.StripeClient, price_id: str, *, outcome: str = "pay", customer: str | None = None
) -> tuple[Any, requests.Response]:
    params: dict[str, Any] = {
        "mode": "subscription",
        "line_items": [{"price": price_id, "quantity": 1}],
        "success_url": "http://acme.localhost:8000/billing/success/?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://acme.localhost:8000/billing/canceled/",
        "client_reference_id": "acme",
        "metadata": {"tenant": "acme"},
        "subscription_data": {"metadata": {"tenant": "acme"}},
    }
    if customer:
        params["customer"] = customer
    session = client.v1.checkout.sessions.create(params=params)
    answer = requests.post(
        session.url, data={"outcome": outcome}, allow_redirects=False, timeout=10
    )
    return client.v1.checkout.sessions.retrieve(session.id), answer


def event_types(client: stripe.StripeClient, **filters: Any) -> list[str]:
    events = client.v1.events.list(params={"limit": 100, **filters})
    return [event.type for event in reversed(events.data)]

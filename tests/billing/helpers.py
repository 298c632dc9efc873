"""Steps shared by the billing tests: pay on the simulator's page, wait for the worker, post
signed events, switch the simulator's faults."""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests
import stripe
from djstripe.models import WebhookEndpoint, WebhookEventTrigger

from billing.models import Entitlement, StripeWebhook
from billing.plans import PRO, Interval, Plan
from billing.services import checkout_start
from billing.simulator import sign_payload
from loginexus.tenancy.models import Tenant

SUCCESS_URL = "http://live.localhost/billing/success/?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://live.localhost/billing/canceled/"


def wait_for(condition, timeout: float = 20.0, message: str = "condition not met in time"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(message)


def settled(sim, timeout: float = 30.0) -> None:
    """Every webhook delivered, and every stored trigger processed by the worker."""
    assert sim.wait_for_webhooks(timeout=timeout)
    wait_for(
        lambda: not WebhookEventTrigger.objects.filter(valid=True, processed=False).exists(),
        timeout=timeout,
        message="the worker did not process every trigger",
    )


def entitlement_of(tenant: Tenant) -> Entitlement:
    return Entitlement.objects.get(tenant=tenant)


def checkout(tenant: Tenant, plan: Plan, interval: Interval = Interval.MONTH) -> tuple[str, str]:
    return checkout_start(
        tenant=tenant, plan=plan, interval=interval, success_url=SUCCESS_URL, cancel_url=CANCEL_URL
    )


def pay(url: str, outcome: str = "pay") -> requests.Response:
    return requests.post(url, data={"outcome": outcome}, allow_redirects=False, timeout=10)


def subscribe(sim, tenant: Tenant, plan: Plan, interval: Interval = Interval.MONTH) -> Entitlement:
    url, _ = checkout(tenant, plan, interval)
    assert pay(url).status_code == 303
    settled(sim)
    return entitlement_of(tenant)


def post_event(
    web_server: str, endpoint: WebhookEndpoint, event: dict, *, secret=None, timestamp=None
) -> requests.Response:
    """POST an event to our webhook endpoint the way Stripe does, signed with the endpoint's
    secret (or `secret`) at `timestamp` (default now)."""
    payload = json.dumps(
        event, default=str
    )  # Stripe sends decimals (unit_amount_decimal) as strings
    signature = sign_payload(payload, secret or endpoint.secret, timestamp or int(time.time()))
    return requests.post(
        f"{web_server}/stripe/webhook/{endpoint.djstripe_uuid}/",
        data=payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        timeout=10,
    )


def fault(sim, mode: str, count: int | None = None, after: int = 0) -> None:
    """Stripe fails `count` requests (None: until cleared), once `after` requests succeeded."""
    requests.post(
        f"{sim.url}/_sim/faults", json={"mode": mode, "count": count, "after": after}, timeout=5
    )


def clear_faults(sim) -> None:
    requests.delete(f"{sim.url}/_sim/faults", timeout=5)


@contextmanager
def failed_webhook(
    sim, web_server: str, endpoint: WebhookEndpoint, tenant: Tenant
) -> Iterator[tuple[stripe.Event, StripeWebhook]]:
    """The tenant pays for Pro while Stripe's own deliveries are off; then its
    customer.subscription.created event arrives while Stripe answers 500, and processing it fails.
    Yields the event and its failed trigger; Stripe answers again on leaving."""
    stripe.WebhookEndpoint.modify(endpoint.id, disabled=True)
    url, _ = checkout(tenant, PRO)
    pay(url)
    event = stripe.Event.list(type="customer.subscription.created").data[0]
    fault(sim, "500", count=None)
    try:
        assert post_event(web_server, endpoint, event.to_dict()).status_code == 200
        trigger = wait_for(
            lambda: (
                StripeWebhook.objects.filter(body__contains=event.id).exclude(exception="").first()
            ),
            message="processing did not fail while Stripe answered 500",
        )
        yield event, trigger
    finally:
        clear_faults(sim)

"""The invoice list never lags the plan: whenever a subscription is synced (its webhook, a plan
change, a reconcile), its latest invoice is stored with the entitlement, if it was not yet."""

import pytest
import stripe
from djstripe.models import Invoice, WebhookEventTrigger

from billing.plans import PRO
from billing.services import entitlement_reconcile, subscription_cancel_at_period_end
from billing.stripe.catalog import plans_sync
from loginexus.tenancy.selectors import tenant_host
from tests.billing.helpers import checkout, pay, post_event, wait_for
from tests.billing.test_api import live_subscription
from tests.conftest import admin_of, host_client, logged_in


def billing_answers(tenant) -> tuple[dict, dict]:
    client = logged_in(host_client(tenant_host(slug=tenant.slug)), tenant, admin_of(tenant))
    return client.get("/api/v1/billing/").json(), client.get("/api/v1/billing/invoices/").json()


def test_the_subscription_event_alone_shows_the_plan_and_its_first_invoice_together(
    billing_ready, committed_tenant, sim, web_server
):
    stripe.WebhookEndpoint.modify(billing_ready.id, disabled=True)  # we deliver, one event
    url, _ = checkout(committed_tenant, PRO)
    assert pay(url).status_code == 303
    event = stripe.Event.list(type="customer.subscription.created").data[0]
    subscription = stripe.Subscription.retrieve(event.data.object.id)

    assert post_event(web_server, billing_ready, event.to_dict()).status_code == 200
    wait_for(
        lambda: stripe_webhook_processed(event.id), message="the worker did not apply the event"
    )

    billing, invoices = billing_answers(committed_tenant)
    assert (billing["plan"], billing["status"]) == ("pro", "active")
    assert [invoice["id"] for invoice in invoices["results"]] == [subscription.latest_invoice]
    assert invoices["results"][0]["status"] == "paid"


def stripe_webhook_processed(event_id: str) -> bool:
    return WebhookEventTrigger.objects.filter(event_id=event_id, processed=True).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["cancel_at_period_end", "reconcile"])
def test_a_service_that_syncs_the_subscription_stores_its_latest_invoice(
    tenant_a, sim, stripe_module, path
):
    plans_sync()
    subscription = live_subscription(tenant_a)  # the subscription synced, its invoice not
    assert not Invoice.objects.exists()

    if path == "cancel_at_period_end":
        entitlement = subscription_cancel_at_period_end(tenant=tenant_a)
    else:
        entitlement = entitlement_reconcile(tenant=tenant_a)

    assert entitlement.subscribed_plan == "pro"
    latest = stripe.Subscription.retrieve(subscription.id).latest_invoice
    assert list(
        Invoice.objects.filter(customer__subscriber=tenant_a).values_list("id", flat=True)
    ) == [latest]

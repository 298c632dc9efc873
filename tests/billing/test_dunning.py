"""Dunning: a failed renewal emails the admins the invoice link and the grace end, once per
invoice; a payment awaiting 3-D Secure emails and shows a banner with the link to confirm it
until the invoice is paid. Through the simulator, its webhooks, the worker and the outbox."""

import requests
import stripe
from django.utils import translation

from billing.notices.models import BillingNotice, NoticeKind
from billing.plans import PRO
from billing.services import billing_portal_start
from loginexus.i18n.formatting import day_long
from loginexus.tenancy.selectors import tenant_host
from tests.billing.helpers import entitlement_of, post_event, settled, subscribe, wait_for
from tests.conftest import admin_of, host_client, logged_in

DUNNING_EVENTS = ("customer.subscription.trial_will_end", "invoice.payment_action_required")


def advance(sim, days: float, payment: str = "auto") -> None:
    answer = requests.post(
        f"{sim.url}/_sim/advance", json={"days": days, "payment": payment}, timeout=30
    )
    assert answer.status_code == 200, answer.text


def latest_invoice(entitlement):
    subscription = stripe.Subscription.retrieve(entitlement.stripe_subscription_id)
    return stripe.Invoice.retrieve(subscription.latest_invoice)


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def resend(web_server, endpoint, event_type: str) -> None:
    """Stripe's event of that type delivered again, as a new event (a retry of the dunning)."""
    event = stripe.Event.list(type=event_type).data[0].to_dict()
    event["id"] = "evt_again_" + event["id"][4:]
    assert post_event(web_server, endpoint, event).status_code == 200


def admin_pages(tenant):
    return logged_in(host_client(tenant_host(slug=tenant.slug)), tenant, admin_of(tenant))


def test_a_failed_renewal_emails_the_invoice_link_and_the_grace_end_once_per_invoice(
    billing_ready, committed_tenant, sim, mailbox, web_server
):
    subscribe(sim, committed_tenant, PRO)
    advance(sim, 32, payment="fail")
    settled(sim)
    entitlement = entitlement_of(committed_tenant)
    assert entitlement.status == "past_due"
    invoice = latest_invoice(entitlement)
    assert invoice.status == "open" and invoice.attempt_count == 1

    (message,) = wait_for(mailbox.messages, message="no dunning email was sent")
    assert message["To"] == f"admin@{committed_tenant.slug}.example"
    assert message["Subject"] == f"LogiNexus: a payment of {committed_tenant.name} failed"
    text = text_of(message)
    assert "the payment of $49.00 for your subscription failed." in text
    assert f"Pay the invoice: {invoice.hosted_invoice_url}" in text
    with translation.override("en"):
        assert f"Your plan stays active until {day_long(entitlement.grace_until)};" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'href="{invoice.hosted_invoice_url}"' in html

    # Stripe's retry fails again, and the same event arrives twice: still one email.
    advance(sim, 3.1, payment="fail")
    settled(sim)
    assert stripe.Invoice.retrieve(invoice.id).attempt_count == 2
    resend(web_server, billing_ready, "invoice.payment_failed")
    settled(sim)
    assert len(mailbox.messages()) == 1
    notice = BillingNotice.objects.get()
    assert (notice.stripe_id, notice.kind, notice.tenant) == (
        invoice.id,
        NoticeKind.PAYMENT_FAILED,
        committed_tenant,
    )

    paid = requests.post(invoice.hosted_invoice_url, data={"card": "pm_card_visa"}, timeout=10)
    assert paid.status_code == 200
    settled(sim)
    notice.refresh_from_db()
    assert notice.resolved_at is not None
    assert entitlement_of(committed_tenant).status == "active"


def test_a_renewal_awaiting_3d_secure_emails_and_shows_the_link_until_it_is_confirmed(
    billing_ready, committed_tenant, sim, mailbox, web_server
):
    subscribe(sim, committed_tenant, PRO)
    portal = billing_portal_start(tenant=committed_tenant, return_url="http://x.localhost/")
    changed = requests.post(
        portal,
        data={"action": "update_card", "card": "pm_card_authenticationRequired"},
        allow_redirects=False,
        timeout=10,
    )
    assert changed.status_code == 303
    advance(sim, 32)
    settled(sim)
    entitlement = entitlement_of(committed_tenant)
    assert entitlement.status == "past_due"
    invoice = latest_invoice(entitlement)
    assert invoice.status == "open" and invoice.amount_paid == 0

    (message,) = wait_for(mailbox.messages, message="no 3-D Secure email was sent")
    assert message["Subject"] == f"LogiNexus: confirm the payment of {committed_tenant.name}"
    text = text_of(message)
    assert "your bank asks you to confirm the payment of $49.00 (3-D Secure)." in text
    assert f"Confirm the payment: {invoice.hosted_invoice_url}" in text

    pages = admin_pages(committed_tenant)
    dashboard = pages.get("/").content.decode()
    assert "Your bank asks you to confirm the last payment (3-D Secure)" in dashboard
    assert f'<a href="{invoice.hosted_invoice_url}">Confirm the payment</a>' in dashboard
    assert "Your last payment failed." not in dashboard

    resend(web_server, billing_ready, "invoice.payment_action_required")
    settled(sim)
    assert len(mailbox.messages()) == 1
    assert BillingNotice.objects.filter(kind=NoticeKind.PAYMENT_ACTION_REQUIRED).count() == 1

    confirmed = requests.post(
        invoice.hosted_invoice_url, data={"action": "authenticate"}, timeout=10
    )
    assert confirmed.status_code == 200
    settled(sim)
    assert stripe.Invoice.retrieve(invoice.id).status == "paid"
    assert entitlement_of(committed_tenant).status == "active"
    dashboard = pages.get("/").content.decode()
    assert "3-D Secure" not in dashboard and invoice.hosted_invoice_url not in dashboard


def test_a_checkout_decline_sends_no_dunning_email(billing_ready, committed_tenant, sim, mailbox):
    from tests.billing.helpers import checkout, pay

    url, _ = checkout(committed_tenant, PRO)
    assert pay(url, outcome="decline").status_code == 402
    settled(sim)
    assert mailbox.messages() == []
    assert not BillingNotice.objects.exists()


def test_an_endpoint_made_before_the_dunning_events_is_subscribed_to_them(
    billing_ready, web_server
):
    from djstripe.models import WebhookEndpoint

    from billing.stripe.catalog import WEBHOOK_EVENTS, webhook_endpoint_ensure

    older = [e for e in WEBHOOK_EVENTS if e not in DUNNING_EVENTS]
    stripe.WebhookEndpoint.modify(billing_ready.id, enabled_events=older)

    again = webhook_endpoint_ensure(base_url=web_server)
    assert again.id == billing_ready.id
    remote = stripe.WebhookEndpoint.retrieve(billing_ready.id)
    assert set(DUNNING_EVENTS) <= set(remote.enabled_events)
    assert sorted(remote.enabled_events) == sorted(WEBHOOK_EVENTS)
    stored = WebhookEndpoint.objects.get(id=billing_ready.id)
    assert sorted(stored.enabled_events) == sorted(WEBHOOK_EVENTS)
    assert stored.secret == billing_ready.secret

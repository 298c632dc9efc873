"""Platform staff's Stripe webhook screens: every delivery listed with its event, state, error and
tenant, a Failed filter, a read-only detail page, and reprocessing through the worker, confirmed
first, permitted and logged."""

import json
import re
import time
import uuid

import pytest
import stripe
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from djstripe.models import Customer

from billing.exceptions import StripeUnavailable
from billing.models import StripeWebhook
from billing.services import customer_ensure
from billing.simulator import sign_payload
from billing.stripe.catalog import webhook_endpoint_ensure
from billing.stripe.webhooks import (
    webhook_delivery_check,
    webhook_trigger_process,
    webhook_trigger_record,
)
from tests.billing.helpers import (
    clear_faults,
    entitlement_of,
    failed_webhook,
    fault,
    wait_for,
)
from tests.conftest import PASSWORD, host_client, staff_member, staff_member_remove

WEBHOOKS = "/admin/billing/stripewebhook/"
VIEW = "billing.view_stripewebhook"
REPROCESS = "billing.reprocess_stripewebhook"
STRIPE_DOWN = "Payments are unavailable right now"


def detail_url(trigger) -> str:
    return f"{WEBHOOKS}{trigger.pk}/change/"


def reprocess_url(trigger) -> str:
    return f"{WEBHOOKS}{trigger.pk}/reprocess/"


def row_with(body: str, text: str) -> str:
    """The list's table row that shows `text`."""
    at = body.index(text)
    start = body.rindex("<tr", 0, at)
    return body[start : body.index("</tr>", at)]


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def staff_client(client, *permissions: str, email: str = "staff@loginexus.example"):
    client.force_login(staff_member(email=email, permissions=permissions))
    return client


# Webhooks made through the services, inside the test's transaction: nothing reaches the worker.


@pytest.fixture
def endpoint(db, sim, stripe_module):
    """Our webhook endpoint, known to the simulator, which keeps its own deliveries to itself:
    the tests deliver events by hand."""
    endpoint = webhook_endpoint_ensure(base_url="http://localhost")
    stripe.WebhookEndpoint.modify(endpoint.id, disabled=True)
    return endpoint


def customer_created_event(tenant) -> dict:
    """The `customer.created` event of the tenant's new Stripe customer."""
    customer = customer_ensure(tenant=tenant)
    events = stripe.Event.list(type="customer.created").data
    return next(event for event in events if event.data.object.id == customer.id).to_dict()


def customer_changed_event(tenant) -> dict:
    """A `customer.updated` event of the tenant's customer, changed in Stripe since it was stored:
    applying it means reading the customer from Stripe (the event may be older than the copy)."""
    return _changed_event(customer_ensure(tenant=tenant).id)


def customer_changed_event_for_new_customer() -> dict:
    """The same of a customer made in Stripe alone (no tenant of ours), stored as Stripe had it."""
    customer = stripe.Customer.create(email="stranger@example.com")
    Customer.sync_from_stripe_data(customer)
    return _changed_event(customer.id)


def _changed_event(customer_id: str) -> dict:
    stripe.Customer.modify(customer_id, description="Changed in Stripe")
    events = stripe.Event.list(type="customer.updated").data
    return next(event for event in events if event.data.object.id == customer_id).to_dict()


def delivered(endpoint, event: dict, *, secret: str | None = None) -> StripeWebhook:
    payload = json.dumps(event, default=str)
    signature = sign_payload(payload, secret or endpoint.secret, int(time.time()))
    delivery = webhook_delivery_check(
        endpoint=endpoint,
        body=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )
    trigger = webhook_trigger_record(delivery=delivery, remote_ip="203.0.113.7")
    return StripeWebhook.objects.get(pk=trigger.pk)


def processed(endpoint, event: dict) -> StripeWebhook:
    trigger = delivered(endpoint, event)
    webhook_trigger_process(trigger_id=trigger.pk)
    trigger.refresh_from_db()
    assert trigger.processed
    return trigger


def failed(endpoint, event: dict, sim) -> StripeWebhook:
    """Delivered while Stripe answers 500: processing fails and records why."""
    trigger = delivered(endpoint, event)
    fault(sim, "500", count=None)
    try:
        with pytest.raises(StripeUnavailable):
            webhook_trigger_process(trigger_id=trigger.pk)
    finally:
        clear_faults(sim)
    trigger.refresh_from_db()
    assert trigger.exception and not trigger.processed
    return trigger


def invalid(endpoint, event: dict) -> StripeWebhook:
    trigger = delivered(endpoint, event, secret="whsec_not_the_secret")
    assert not trigger.valid
    return trigger


def confirm_form(trigger_ids) -> dict:
    return {"action": "reprocess", "_selected_action": [str(pk) for pk in trigger_ids]}


# 1. The whole path: a real failure, seen by staff, fixed, reprocessed by the real worker.


@pytest.fixture
def live_staff_client(committed_db):
    """Staff allowed to reprocess, committed like everything in a live test, removed after."""
    email = f"staff-{uuid.uuid4().hex[:8]}@loginexus.example"
    staff = staff_member(email=email, permissions=(VIEW, REPROCESS))
    client = host_client("localhost")
    client.force_login(staff)
    yield client
    staff_member_remove(staff)


def test_a_failed_webhook_is_listed_and_reprocessing_applies_it_once_stripe_answers_again(
    billing_ready, committed_tenant, sim, web_server, live_staff_client
):
    client = live_staff_client
    with failed_webhook(sim, web_server, billing_ready, committed_tenant) as (event, trigger):
        listed = client.get(WEBHOOKS, {"failed": "yes"}).content.decode()
        row = row_with(listed, event.id)
        for text in ("customer.subscription.created", STRIPE_DOWN, committed_tenant.slug):
            assert text in row
        assert event.id not in client.get(WEBHOOKS, {"failed": "no"}).content.decode()

        confirmation = client.post(f"{WEBHOOKS}?failed=yes", confirm_form([trigger.pk]))
        assert confirmation.status_code == 200
        assert event.id in confirmation.content.decode()
        trigger.refresh_from_db()
        assert trigger.exception.startswith(STRIPE_DOWN) and not trigger.processed

    answer = client.post(f"{WEBHOOKS}?failed=yes", {**confirm_form([trigger.pk]), "post": "yes"})
    assert answer.status_code == 302
    wait_for(
        lambda: StripeWebhook.objects.filter(pk=trigger.pk, processed=True).exists(),
        timeout=30,
        message="the worker did not process the reprocessed webhook",
    )
    trigger.refresh_from_db()
    assert (trigger.exception, trigger.traceback, trigger.event_id) == ("", "", event.id)
    entitlement = entitlement_of(committed_tenant)
    assert (entitlement.subscribed_plan, entitlement.status) == ("pro", "active")
    assert event.id not in client.get(WEBHOOKS, {"failed": "yes"}).content.decode()
    assert event.id in client.get(WEBHOOKS, {"failed": "no"}).content.decode()


# 2. The action and its log.


def test_the_action_queues_failed_webhooks_skips_the_others_and_logs_who_asked(
    public_client, endpoint, sim, tenant_a, django_capture_on_commit_callbacks
):
    event = customer_created_event(tenant_a)
    done = processed(endpoint, event)
    broken = failed(endpoint, customer_changed_event_for_new_customer(), sim)
    forged = invalid(endpoint, event)
    client = staff_client(public_client, VIEW, REPROCESS)

    with django_capture_on_commit_callbacks() as enqueued:
        answer = client.post(
            WEBHOOKS, {**confirm_form([done.pk, broken.pk, forged.pk]), "post": "yes"}, follow=True
        )

    assert answer.status_code == 200
    assert shown_messages(answer) == [
        f"Queued 1 webhook for reprocessing: #{broken.pk}.",
        f"Skipped 1 webhook already processed: #{done.pk}.",
        f"Skipped 1 webhook not valid (bad signature or not an event): #{forged.pk}.",
    ]
    assert len(enqueued) == 1
    broken.refresh_from_db()
    assert (broken.exception, broken.traceback, broken.processed) == ("", "", False)

    staff = get_user_model().objects.get(email="staff@loginexus.example")
    entries = LogEntry.objects.filter(user=staff)
    assert [(entry.object_id, entry.get_change_message()) for entry in entries] == [
        (str(broken.pk), "Reprocess requested")
    ]
    assert entries[0].content_type == ContentType.objects.get_for_model(
        StripeWebhook, for_concrete_model=False
    )
    assert entries[0].is_change()
    history = client.get(f"{WEBHOOKS}{broken.pk}/history/").content.decode()
    assert "Reprocess requested" in history and "staff@loginexus.example" in history


def test_the_detail_pages_reprocess_button_asks_then_queues_and_logs(
    public_client, endpoint, sim, tenant_a, django_capture_on_commit_callbacks
):
    broken = failed(endpoint, customer_changed_event(tenant_a), sim)
    client = staff_client(public_client, VIEW, REPROCESS)

    page = client.get(detail_url(broken)).content.decode()
    assert f'href="{reprocess_url(broken)}"' in page

    with django_capture_on_commit_callbacks() as enqueued:
        confirmation = client.get(reprocess_url(broken))
    assert confirmation.status_code == 200
    assert "Yes, reprocess" in confirmation.content.decode()
    assert enqueued == []

    with django_capture_on_commit_callbacks() as enqueued:
        answer = client.post(reprocess_url(broken), follow=True)
    assert answer.redirect_chain == [(detail_url(broken), 302)]
    assert shown_messages(answer) == [f"Queued 1 webhook for reprocessing: #{broken.pk}."]
    assert len(enqueued) == 1
    entry = LogEntry.objects.get(object_id=str(broken.pk))
    assert (entry.user.email, entry.get_change_message()) == (
        "staff@loginexus.example",
        "Reprocess requested",
    )


# 3. Who may see and who may reprocess.


def test_non_staff_are_sent_to_the_admin_login(public_client, endpoint, tenant_a):
    trigger = delivered(endpoint, customer_created_event(tenant_a))
    for url in (WEBHOOKS, detail_url(trigger), reprocess_url(trigger)):
        answer = public_client.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")

    user = get_user_model().objects.create_user("someone@loginexus.example", PASSWORD)
    public_client.force_login(user)
    for url in (WEBHOOKS, reprocess_url(trigger)):
        answer = public_client.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")
    answer = public_client.post(reprocess_url(trigger))
    assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")


def test_staff_without_the_permission_see_webhooks_but_cannot_reprocess(
    public_client, endpoint, sim, tenant_a, django_capture_on_commit_callbacks
):
    broken = failed(endpoint, customer_changed_event(tenant_a), sim)
    client = staff_client(public_client, VIEW)

    listed = client.get(WEBHOOKS)
    assert listed.status_code == 200
    assert "customer.updated" in row_with(listed.content.decode(), broken.exception[:40])
    assert 'value="reprocess"' not in listed.content.decode()
    detail = client.get(detail_url(broken))
    assert detail.status_code == 200
    assert reprocess_url(broken) not in detail.content.decode()

    with django_capture_on_commit_callbacks() as enqueued:
        assert client.post(WEBHOOKS, {**confirm_form([broken.pk]), "index": "0"}).status_code == 403
        assert (
            client.post(WEBHOOKS, {**confirm_form([broken.pk]), "post": "yes"}).status_code == 403
        )
        assert client.get(reprocess_url(broken)).status_code == 403
        assert client.post(reprocess_url(broken)).status_code == 403
    assert enqueued == []
    broken.refresh_from_db()
    assert broken.exception.startswith(STRIPE_DOWN)
    assert not LogEntry.objects.exists()


def test_staff_with_the_permission_are_offered_reprocess(public_client, endpoint, sim, tenant_a):
    broken = failed(endpoint, customer_changed_event(tenant_a), sim)
    client = staff_client(public_client, VIEW, REPROCESS)

    listed = client.get(WEBHOOKS).content.decode()
    assert '<option value="reprocess">Reprocess selected Stripe webhooks</option>' in listed
    assert '<option value="delete_selected">' not in listed
    assert f'href="{reprocess_url(broken)}"' in client.get(detail_url(broken)).content.decode()
    assert client.get(reprocess_url(broken)).status_code == 200
    assert client.post(WEBHOOKS, {**confirm_form([broken.pk]), "index": "0"}).status_code == 200


# 4. The list's cost does not grow with its length.


def make_webhooks(endpoint, sim, tenant_event: dict, stranger_event: dict, count: int) -> None:
    """`count` webhooks: a third applied, a third failed, a third with a bad signature."""
    kinds = [number % 3 for number in range(count)]
    for _ in range(kinds.count(0)):
        processed(endpoint, tenant_event)
    for _ in range(kinds.count(1)):
        failed(endpoint, stranger_event, sim)
    for _ in range(kinds.count(2)):
        invalid(endpoint, tenant_event)


def test_the_list_runs_as_many_queries_for_40_webhooks_as_for_5(
    public_client, endpoint, sim, tenant_a, tenant_b
):
    about_alpha = customer_created_event(tenant_a)
    about_bravo = customer_changed_event(tenant_b)
    client = staff_client(public_client, VIEW, REPROCESS)
    make_webhooks(endpoint, sim, about_alpha, about_bravo, 5)
    client.get(WEBHOOKS)

    with CaptureQueriesContext(connection) as five:
        page = client.get(WEBHOOKS).content.decode()
    assert page.count('name="_selected_action"') == 5
    make_webhooks(endpoint, sim, about_alpha, about_bravo, 35)
    with CaptureQueriesContext(connection) as forty:
        page = client.get(WEBHOOKS).content.decode()

    assert page.count('name="_selected_action"') == 40
    assert page.count(">alpha</a>") == 26  # applied and forged deliveries of alpha's event
    assert page.count(">bravo</a>") == 14  # failed ones: the event of bravo's new customer
    assert len(forty) == len(five)


# 5. Nothing happens before the confirmation.


def test_reprocess_shows_a_confirmation_page_and_queues_nothing_until_confirmed(
    endpoint, sim, tenant_a, django_capture_on_commit_callbacks
):
    event = customer_changed_event(tenant_a)
    broken = failed(endpoint, event, sim)
    client = host_client("localhost", enforce_csrf_checks=True)
    staff_client(client, VIEW, REPROCESS)

    listed = client.get(WEBHOOKS, {"failed": "yes"}).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', listed).group(1)
    with django_capture_on_commit_callbacks() as enqueued:
        confirmation = client.post(
            f"{WEBHOOKS}?failed=yes",
            {**confirm_form([broken.pk]), "index": "0", "csrfmiddlewaretoken": token},
        )
    assert confirmation.status_code == 200
    page = confirmation.content.decode()
    assert "Are you sure?" in page and "Yes, reprocess" in page
    for text in (event["id"], "customer.updated", "alpha", "failed", STRIPE_DOWN):
        assert text in row_with(page, event["id"])
    assert '<form method="post">' in page and 'name="csrfmiddlewaretoken"' in page
    assert f'name="_selected_action" value="{broken.pk}"' in page
    assert enqueued == []
    broken.refresh_from_db()
    assert broken.exception.startswith(STRIPE_DOWN)
    assert not LogEntry.objects.exists()

    confirmed = {**confirm_form([broken.pk]), "post": "yes"}
    assert client.post(f"{WEBHOOKS}?failed=yes", confirmed).status_code == 403  # no CSRF token
    with django_capture_on_commit_callbacks() as enqueued:
        answer = client.post(
            f"{WEBHOOKS}?failed=yes", {**confirmed, "csrfmiddlewaretoken": token}, follow=True
        )
    assert shown_messages(answer) == [f"Queued 1 webhook for reprocessing: #{broken.pk}."]
    assert len(enqueued) == 1
    assert LogEntry.objects.filter(object_id=str(broken.pk)).count() == 1


# The screens themselves.


def test_the_failed_filter_and_search_find_webhooks_by_state_event_id_object_id_and_error(
    public_client, endpoint, sim, tenant_a
):
    event = customer_created_event(tenant_a)
    stranger = customer_changed_event_for_new_customer()
    done = processed(endpoint, event)
    broken = failed(endpoint, stranger, sim)
    client = staff_client(public_client, VIEW, REPROCESS)  # rows get checkboxes with an action

    def listed(**query) -> set[int]:
        page = client.get(WEBHOOKS, query).content.decode()
        return {int(pk) for pk in re.findall(r'name="_selected_action" value="(\d+)"', page)}

    assert listed(failed="yes") == {broken.pk}
    assert listed(failed="no") == {done.pk}
    assert listed(processed__exact="1") == {done.pk}
    assert listed(q=event["id"]) == {done.pk}
    assert listed(q=stranger["id"]) == {broken.pk}
    assert listed(q=stranger["data"]["object"]["id"]) == {broken.pk}
    assert listed(q="unavailable") == {broken.pk}


def test_the_detail_page_is_read_only_with_the_body_error_and_traceback(
    public_client, endpoint, sim, tenant_a
):
    event = customer_changed_event(tenant_a)
    broken = failed(endpoint, event, sim)
    client = staff_client(public_client, VIEW, REPROCESS)

    answer = client.get(detail_url(broken))
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "<pre>{\n  &quot;" in page  # the body, pretty-printed
    assert f"&quot;id&quot;: &quot;{event['id']}&quot;" in page
    assert STRIPE_DOWN in page
    assert "Traceback (most recent call last)" in page
    assert 'name="_save"' not in page and "<textarea" not in page
    assert ">alpha</a>" in page
    assert client.post(detail_url(broken), {"exception": ""}).status_code == 403
    assert client.get(f"{WEBHOOKS}add/").status_code == 403
    assert client.get(f"{WEBHOOKS}{broken.pk}/delete/").status_code == 403


def test_djstripes_own_webhook_screen_is_replaced_by_this_one(superuser_client):
    assert superuser_client.get("/admin/djstripe/webhookeventtrigger/").status_code == 404
    assert superuser_client.get(WEBHOOKS).status_code == 200

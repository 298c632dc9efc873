"""Plan changes say exactly what they cost: the preview's due-now amount is the invoice an upgrade
makes, to the cent; a declined card changes nothing; a downgrade waits for the period's end on a
Stripe subscription schedule, can be taken back, and is applied by the renewal."""

import json
from datetime import UTC, datetime

import pytest
import stripe
from djstripe.models import Invoice, WebhookEventTrigger

from billing.models import Entitlement
from billing.plan_changes.services import plan_change
from billing.plans import ENTERPRISE, PRO, Interval
from billing.services import entitlement_refresh
from billing.stripe.catalog import plans_sync
from loginexus.i18n.formatting import day_long
from loginexus.tenancy.selectors import tenant_host
from tests.billing.helpers import entitlement_of, settled, subscribe
from tests.billing.test_api import live_subscription
from tests.conftest import host_client, logged_in, tenant_user

PREVIEW = "/api/v1/billing/change-plan/preview/"
CHANGE = "/api/v1/billing/change-plan/"
DAY = 86400


@pytest.fixture
def stripe_ready(db, sim, stripe_module):
    plans_sync()
    return sim


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def preview(client, plan, interval):
    return client.get(PREVIEW, {"plan": plan, "interval": interval})


def iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat().replace("+00:00", "Z")


def period(subscription_id: str) -> tuple[int, int]:
    item = stripe.Subscription.retrieve(subscription_id)["items"]["data"][0]
    return item["current_period_start"], item["current_period_end"]


def invoice_count() -> int:
    return len(stripe.Invoice.list(limit=100).data)


def upgrade_charges_exactly_the_preview(client, subscription_id, plan, interval) -> dict:
    """Preview, confirm with the preview's proration moment, and compare with Stripe's invoice."""
    shown = preview(client, plan, interval)
    assert shown.status_code == 200, shown.content
    body = shown.json()
    assert body["effective"] == "now"
    assert body["due_now"]["amount"] == sum(line["amount"] for line in body["lines"])
    changed = post(
        client,
        CHANGE,
        {"plan": plan, "interval": interval, "proration_date": body["proration_date"]},
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["plan"], changed.json()["interval"]) == (plan, interval)
    assert changed.json()["scheduled_change"] is None
    invoice = stripe.Invoice.retrieve(stripe.Subscription.retrieve(subscription_id).latest_invoice)
    assert invoice.billing_reason == "subscription_update"
    assert (invoice.status, invoice.total, invoice.amount_paid, invoice.currency) == (
        "paid",
        body["due_now"]["amount"],
        body["due_now"]["amount"],
        body["due_now"]["currency"],
    )
    assert Invoice.objects.filter(id=invoice.id).exists()
    return body


def test_pro_to_enterprise_monthly_is_charged_now_exactly_what_the_preview_said(
    admin_client_a, tenant_a, stripe_ready
):
    subscription = live_subscription(tenant_a)
    start, end = period(subscription.id)
    body = upgrade_charges_exactly_the_preview(
        admin_client_a, subscription.id, "enterprise", "month"
    )
    fraction = (end - body["proration_date"]) / (end - start)
    assert body["due_now"] == {
        "amount": round(19900 * fraction) - round(4900 * fraction),
        "currency": "usd",
    }
    assert body["next_invoice"] == {"amount": 19900, "currency": "usd", "date": iso(end)}
    assert [line["amount"] for line in body["lines"]] == [
        -round(4900 * fraction),
        round(19900 * fraction),
    ]
    assert entitlement_of(tenant_a).subscribed_plan == "enterprise"


def test_pro_monthly_to_pro_yearly_starts_a_year_now_less_the_unused_month(
    admin_client_a, tenant_a, stripe_ready
):
    subscription = live_subscription(tenant_a)
    start, end = period(subscription.id)
    body = upgrade_charges_exactly_the_preview(admin_client_a, subscription.id, "pro", "year")
    unused = round(4900 * (end - body["proration_date"]) / (end - start))
    assert body["due_now"]["amount"] == 49000 - unused
    new_start, new_end = period(subscription.id)
    assert new_start == body["proration_date"]
    assert body["next_invoice"] == {"amount": 49000, "currency": "usd", "date": iso(new_end)}
    entitlement = entitlement_of(tenant_a)
    assert (entitlement.subscribed_plan, entitlement.interval) == ("pro", "year")
    assert int(entitlement.period_end.timestamp()) == new_end


def test_an_upgrade_mid_period_charges_the_rest_of_the_period_to_the_cent(
    admin_client_a, tenant_a, stripe_ready
):
    subscription = live_subscription(tenant_a)
    start, end = period(subscription.id)
    stripe_ready.advance(days=11.3)
    body = upgrade_charges_exactly_the_preview(
        admin_client_a, subscription.id, "enterprise", "month"
    )
    assert body["proration_date"] >= start + 11 * DAY
    fraction = (end - body["proration_date"]) / (end - start)
    assert 0.5 < fraction < 0.7
    assert body["due_now"]["amount"] == round(19900 * fraction) - round(4900 * fraction)


def test_a_declined_upgrade_answers_402_and_changes_nothing(admin_client_a, tenant_a, stripe_ready):
    subscription = live_subscription(tenant_a)
    entitlement_refresh(tenant=tenant_a)
    stripe.Subscription.modify(subscription.id, default_payment_method="pm_card_chargeCustomerFail")
    before = stripe.Subscription.retrieve(subscription.id)
    invoices, events = invoice_count(), len(stripe.Event.list(limit=100).data)
    response = post(admin_client_a, CHANGE, {"plan": "enterprise", "interval": "month"})
    assert response.status_code == 402
    assert response.json()["code"] == "payment_declined"
    assert response.json()["stripe_code"] == "card_declined"
    after = stripe.Subscription.retrieve(subscription.id)
    assert after["items"]["data"][0]["price"]["lookup_key"] == "pro_monthly"
    assert (after.latest_invoice, after.status) == (before.latest_invoice, "active")
    assert invoice_count() == invoices
    assert len(stripe.Event.list(limit=100).data) == events
    state = admin_client_a.get("/api/v1/billing/").json()
    assert (state["plan"], state["scheduled_change"]) == ("pro", None)


def test_a_downgrade_is_scheduled_for_the_period_end_and_the_plan_in_force_stays(
    admin_client_a, tenant_a, stripe_ready
):
    subscription = live_subscription(tenant_a, "enterprise_monthly")
    _, end = period(subscription.id)
    shown = preview(admin_client_a, "pro", "month").json()
    assert shown == {
        "effective": "period_end",
        "due_now": {"amount": 0, "currency": "usd"},
        "next_invoice": {"amount": 4900, "currency": "usd", "date": iso(end)},
        "lines": [shown["lines"][0]],
        "proration_date": None,
    }
    assert shown["lines"][0]["amount"] == 4900
    invoices = invoice_count()

    response = post(admin_client_a, CHANGE, {"plan": "pro", "interval": "month"})
    assert response.status_code == 200
    state = response.json()
    assert (state["plan"], state["interval"]) == ("enterprise", "month")
    assert state["scheduled_change"] == {"plan": "pro", "interval": "month", "at": iso(end)}
    assert state["usage"]["shipments"]["limit"] is None  # Enterprise's limits until then
    assert (
        admin_client_a.get("/api/v1/billing/").json()["scheduled_change"]
        == (state["scheduled_change"])
    )
    stripe_subscription = stripe.Subscription.retrieve(subscription.id)
    schedule = stripe.SubscriptionSchedule.retrieve(stripe_subscription.schedule)
    pro_price = stripe.Price.list(lookup_keys=["pro_monthly"]).data[0].id
    enterprise_price = stripe_subscription["items"]["data"][0]["price"]["id"]
    assert [(p["items"][0]["price"], p["start_date"]) for p in schedule.phases] == [
        (enterprise_price, period(subscription.id)[0]),
        (pro_price, end),
    ]
    assert schedule.phases[0]["end_date"] == end
    assert (schedule.status, schedule.end_behavior) == ("active", "release")
    assert stripe_subscription["items"]["data"][0]["price"]["lookup_key"] == "enterprise_monthly"
    assert invoice_count() == invoices


def test_yearly_to_monthly_waits_for_the_end_of_the_year(admin_client_a, tenant_a, stripe_ready):
    subscription = live_subscription(tenant_a, "enterprise_yearly")
    _, end = period(subscription.id)
    shown = preview(admin_client_a, "enterprise", "month").json()
    assert (shown["effective"], shown["due_now"]["amount"]) == ("period_end", 0)
    assert shown["next_invoice"] == {"amount": 19900, "currency": "usd", "date": iso(end)}
    state = post(admin_client_a, CHANGE, {"plan": "enterprise", "interval": "month"}).json()
    assert (state["plan"], state["interval"]) == ("enterprise", "year")
    assert state["scheduled_change"] == {"plan": "enterprise", "interval": "month", "at": iso(end)}


def test_choosing_the_plan_in_force_again_cancels_the_scheduled_downgrade(
    admin_client_a, tenant_a, stripe_ready
):
    subscription = live_subscription(tenant_a, "enterprise_monthly")
    post(admin_client_a, CHANGE, {"plan": "pro", "interval": "month"})
    schedule_id = stripe.Subscription.retrieve(subscription.id).schedule
    shown = preview(admin_client_a, "enterprise", "month").json()
    assert (shown["effective"], shown["due_now"]["amount"]) == ("now", 0)
    assert (
        [line["amount"] for line in shown["lines"]] == [shown["next_invoice"]["amount"]] == [19900]
    )
    response = post(admin_client_a, CHANGE, {"plan": "enterprise", "interval": "month"})
    assert response.status_code == 200
    assert (response.json()["plan"], response.json()["scheduled_change"]) == ("enterprise", None)
    assert stripe.Subscription.retrieve(subscription.id).schedule is None
    released = stripe.SubscriptionSchedule.retrieve(schedule_id)
    assert (released.status, released.released_subscription) == ("released", subscription.id)


def test_an_upgrade_while_a_downgrade_is_scheduled_drops_the_downgrade(
    admin_client_a, tenant_a, stripe_ready
):
    subscription = live_subscription(tenant_a, "enterprise_monthly")
    post(admin_client_a, CHANGE, {"plan": "pro", "interval": "month"})
    schedule_id = stripe.Subscription.retrieve(subscription.id).schedule
    upgrade_charges_exactly_the_preview(admin_client_a, subscription.id, "enterprise", "year")
    assert stripe.Subscription.retrieve(subscription.id).schedule is None
    assert stripe.SubscriptionSchedule.retrieve(schedule_id).status == "released"


def test_paid_to_free_cancels_at_period_end_and_shows_it_as_the_scheduled_change(
    admin_client_a, tenant_a, stripe_ready
):
    subscription = live_subscription(tenant_a)
    _, end = period(subscription.id)
    shown = preview(admin_client_a, "free", "month").json()
    assert shown["effective"] == "period_end"
    assert shown["due_now"]["amount"] == shown["next_invoice"]["amount"] == 0
    state = post(admin_client_a, CHANGE, {"plan": "free", "interval": "month"}).json()
    assert (state["plan"], state["cancel_at_period_end"]) == ("pro", True)
    assert state["scheduled_change"] == {"plan": "free", "interval": None, "at": iso(end)}
    kept = post(admin_client_a, CHANGE, {"plan": "pro", "interval": "month"}).json()
    assert (kept["cancel_at_period_end"], kept["scheduled_change"]) == (False, None)
    assert stripe.Subscription.retrieve(subscription.id).cancel_at_period_end is False


def test_a_bad_plan_or_interval_is_a_field_error(admin_client_a, tenant_a, stripe_ready):
    live_subscription(tenant_a)
    response = preview(admin_client_a, "platinum", "week")
    assert response.status_code == 400
    assert set(response.json()) == {"plan", "interval"}
    assert admin_client_a.get(PREVIEW).status_code == 400


def test_a_stale_or_future_proration_moment_is_refused(admin_client_a, tenant_a, stripe_ready):
    subscription = live_subscription(tenant_a)
    moment = preview(admin_client_a, "enterprise", "month").json()["proration_date"]
    for wrong in (moment + DAY, moment - 2 * 3600):
        response = post(
            admin_client_a,
            CHANGE,
            {"plan": "enterprise", "interval": "month", "proration_date": wrong},
        )
        assert response.status_code == 400
        assert list(response.json()) == ["proration_date"]
    items = stripe.Subscription.retrieve(subscription.id)["items"]["data"]
    assert items[0]["price"]["lookup_key"] == "pro_monthly"


def test_the_preview_is_for_admins_of_a_paying_workspace(admin_client_a, tenant_a, stripe_ready):
    host = tenant_host(slug=tenant_a.slug)
    assert preview(host_client(host), "enterprise", "month").status_code in (401, 403)
    member = logged_in(host_client(host), tenant_a, tenant_user(tenant_a, email="m@alpha.example"))
    assert preview(member, "enterprise", "month").status_code == 403
    response = preview(admin_client_a, "enterprise", "month")
    assert (response.status_code, response.json()["code"]) == (409, "no_subscription")


def test_the_change_page_shows_due_now_next_invoice_and_when_it_takes_effect(
    admin_client_a, tenant_a, stripe_ready
):
    subscription = live_subscription(tenant_a)
    api = preview(admin_client_a, "enterprise", "month").json()
    page = admin_client_a.get("/billing/change/?plan=enterprise&interval=month")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Due now" in text and "Next invoice" in text and "Takes effect" in text
    shown = text.split('<dd class="price"><strong>')[1].split("</strong>")[0]
    assert abs(int(shown.strip("$").replace(".", "")) - api["due_now"]["amount"]) <= 1
    assert "$199.00" in text
    moment = text.split('name="proration_date" value="')[1].split('"')[0]
    answer = admin_client_a.post(
        "/billing/change/",
        {"plan": "enterprise", "interval": "month", "proration_date": moment},
    )
    assert (answer.status_code, answer["Location"]) == (302, "/billing/")
    invoice = stripe.Invoice.retrieve(stripe.Subscription.retrieve(subscription.id).latest_invoice)
    assert f"${invoice.total // 100:,}.{invoice.total % 100:02d}" == shown
    assert entitlement_of(tenant_a).subscribed_plan == "enterprise"


def test_the_billing_and_change_pages_say_when_the_downgrade_happens(
    admin_client_a, tenant_a, stripe_ready
):
    subscription = live_subscription(tenant_a, "enterprise_monthly")
    _, end = period(subscription.id)
    day = day_long(datetime.fromtimestamp(end, tz=UTC))
    page = admin_client_a.get("/billing/change/?plan=pro&interval=month").content.decode()
    assert f"The change takes effect on {day}" in page
    assert "$0.00" in page and "$49.00" in page
    answer = admin_client_a.post("/billing/change/", {"plan": "pro", "interval": "month"})
    assert answer.status_code == 302
    overview = admin_client_a.get("/billing/").content.decode()
    assert f"Changes to Pro, billed monthly, on {day}." in overview
    assert "Keep Enterprise" in overview
    assert f"Changes to Pro, billed monthly, on {day}." in (
        admin_client_a.get("/billing/change/?plan=enterprise&interval=month").content.decode()
    )
    admin_client_a.post("/billing/change/", {"plan": "enterprise", "interval": "month"})
    assert "Changes to Pro" not in admin_client_a.get("/billing/").content.decode()


def test_the_renewal_applies_the_scheduled_downgrade(billing_ready, committed_tenant, sim):
    first = subscribe(sim, committed_tenant, ENTERPRISE)
    entitlement = plan_change(tenant=committed_tenant, plan=PRO, interval=Interval.MONTH)
    assert entitlement.subscribed_plan == "enterprise"
    settled(sim)
    assert entitlement_of(committed_tenant).subscribed_plan == "enterprise"

    sim.advance(days=32, payment="succeed")
    settled(sim)
    renewed = entitlement_of(committed_tenant)
    assert (renewed.subscribed_plan, renewed.interval, renewed.status) == ("pro", "month", "active")
    assert renewed.period_start == first.period_end
    assert renewed.effective_plan(renewed.period_start) == PRO
    subscription = stripe.Subscription.retrieve(renewed.stripe_subscription_id)
    invoice = stripe.Invoice.retrieve(subscription.latest_invoice)
    assert (invoice.status, invoice.total) == ("paid", 4900)
    types = [event.type for event in stripe.Event.list(limit=100).data]
    assert "subscription_schedule.updated" in types
    triggers = WebhookEventTrigger.objects.filter(valid=True)
    assert triggers.filter(event__type="subscription_schedule.updated").exists()
    assert [t.exception for t in triggers if t.exception] == []
    assert Entitlement.objects.filter(tenant=committed_tenant, subscribed_plan="pro").exists()


def test_a_downgrade_after_choosing_free_replaces_the_cancellation(
    admin_client_a, tenant_a, stripe_ready
):
    subscription = live_subscription(tenant_a, "enterprise_monthly")
    _, end = period(subscription.id)
    post(admin_client_a, CHANGE, {"plan": "free", "interval": "month"})
    state = post(admin_client_a, CHANGE, {"plan": "pro", "interval": "month"}).json()
    assert state["cancel_at_period_end"] is False
    assert state["scheduled_change"] == {"plan": "pro", "interval": "month", "at": iso(end)}
    stripe_subscription = stripe.Subscription.retrieve(subscription.id)
    assert stripe_subscription.cancel_at_period_end is False
    assert stripe_subscription.schedule is not None


def test_choosing_free_with_a_downgrade_scheduled_releases_it_and_cancels_at_period_end(
    admin_client_a, tenant_a, stripe_ready
):
    subscription = live_subscription(tenant_a, "enterprise_monthly")
    _, end = period(subscription.id)
    post(admin_client_a, CHANGE, {"plan": "pro", "interval": "month"})
    schedule_id = stripe.Subscription.retrieve(subscription.id).schedule
    state = post(admin_client_a, CHANGE, {"plan": "free", "interval": "month"}).json()
    assert (state["plan"], state["cancel_at_period_end"]) == ("enterprise", True)
    assert state["scheduled_change"] == {"plan": "free", "interval": None, "at": iso(end)}
    assert stripe.SubscriptionSchedule.retrieve(schedule_id).status == "released"
    assert stripe.Subscription.retrieve(subscription.id).schedule is None

"""Writes of plan changes. An upgrade takes effect now: its prorated amount is invoiced and
charged at once, and a declined card changes nothing (`error_if_incomplete`). A downgrade takes
effect at the period's end through a Stripe subscription schedule (the current phase until the
period ends, then the new price); to Free, the subscription is canceled at the period's end.
Choosing the plan in force again cancels what was scheduled."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from djstripe.models import Price, SubscriptionSchedule

from billing.models import Entitlement
from billing.overage.selectors import overage_item_changes, overage_price_for
from billing.overage.services import overage_choose
from billing.plan_changes.rules import ChangeKind, change_kind
from billing.plan_changes.selectors import LIVE_SCHEDULE_STATUSES, live_facts_get, plan_price_get
from billing.plans import Interval, Plan, plan_and_interval_for_lookup_key
from billing.services import (
    _audited,
    _sync_and_refresh,
    entitlement_refresh,
    subscription_cancel_at_period_end,
    subscription_resume,
)
from billing.stripe import boundary
from billing.stripe.subscriptions import SubscriptionFacts
from loginexus.tenancy.models import Tenant

# How old a previewed proration moment may be when the change is confirmed with it.
PRORATION_DATE_MAX_AGE = 3600  # seconds


def plan_change(
    *, tenant: Tenant, plan: Plan, interval: Interval, proration_date: int | None = None
) -> Entitlement:
    """Change the live subscription to `plan` billed by `interval`. `proration_date` is the
    moment a preview prorated at (its answer names it): the upgrade then charges exactly what
    the preview showed."""
    facts = live_facts_get(tenant=tenant)
    price = plan_price_get(plan=plan, interval=interval)
    kind = change_kind(
        current=facts.plan, current_interval=facts.interval, plan=plan, interval=interval
    )
    if kind == ChangeKind.SAME:
        return _scheduled_change_cancel(tenant, facts)
    if kind == ChangeKind.UPGRADE:
        return _upgrade(tenant, facts, plan, interval, price, proration_date)
    if plan.is_free:
        _schedule_release(facts)
        return subscription_cancel_at_period_end(tenant=tenant)
    return _downgrade(tenant, facts, plan, interval, price)


def _upgrade(
    tenant: Tenant,
    facts: SubscriptionFacts,
    plan: Plan,
    interval: Interval,
    price: Price,
    proration_date: int | None,
) -> Entitlement:
    changes: dict = {}
    if proration_date is not None:
        _proration_date_check(facts, price, proration_date)
        changes["proration_date"] = proration_date
    if not facts.schedule_id:
        # An upgrade resumes a subscription set to end (Stripe refuses the flag under a schedule,
        # which never has it set).
        changes["cancel_at_period_end"] = False
    overage_changes = overage_item_changes(facts=facts, plan=plan, interval=interval)
    updated = boundary.subscription_modify(
        subscription_id=facts.id,
        items=[{"id": facts.item_id, "price": price.id}, *overage_changes],
        proration_behavior="always_invoice",
        payment_behavior="error_if_incomplete",
        **changes,
    )
    if any(change.get("deleted") for change in overage_changes):
        overage_choose(tenant=tenant, enabled=False)  # nothing left to bill it on
    # Only once the upgrade is paid: a declined card leaves a scheduled downgrade in place.
    if _schedule_release(facts):
        updated = boundary.subscription_retrieve(subscription_id=facts.id)
    _audited(tenant, "billing.plan_changed", plan=plan.code, interval=interval)
    return _sync_and_refresh(tenant, updated)


def _proration_date_check(facts: SubscriptionFacts, price: Price, proration_date: int) -> None:
    """A previewed moment no later than Stripe's now (a later one would charge less than the
    time left) and no older than an hour (the page showing it is stale)."""
    plan, interval = _plan_of(price)
    now = boundary.invoice_preview(
        customer_id=facts.customer_id,
        subscription_id=facts.id,
        items=[
            {"id": facts.item_id, "price": price.id},
            *overage_item_changes(facts=facts, plan=plan, interval=interval),
        ],
        proration_behavior="always_invoice",
    )
    stripe_now = ((now.get("parent") or {}).get("subscription_details") or {}).get(
        "subscription_proration_date"
    )
    if stripe_now is None:
        return
    if not stripe_now - PRORATION_DATE_MAX_AGE <= proration_date <= stripe_now:
        raise ValidationError(
            {
                "proration_date": [
                    gettext("This price has expired; review the change again to see it now.")
                ]
            }
        )


def _plan_of(price: Price) -> tuple[Plan, Interval]:
    known = plan_and_interval_for_lookup_key(price.lookup_key or "")
    if known is None:
        raise ValueError(f"Not a plan's price: {price.id}")
    return known


def _overage_phase_items(facts: SubscriptionFacts, plan: Plan, interval: Interval) -> list[dict]:
    """The metered item in the phase after a downgrade: kept (at the new interval's price) on a
    plan with overage."""
    if not facts.overage_price_id:
        return []
    overage = overage_price_for(plan=plan, interval=interval, currency=facts.currency)
    return [{"price": overage.id}] if overage else []


def _downgrade(
    tenant: Tenant, facts: SubscriptionFacts, plan: Plan, interval: Interval, price: Price
) -> Entitlement:
    if facts.cancel_at_period_end:
        boundary.subscription_modify(subscription_id=facts.id, cancel_at_period_end=False)
    schedule = _live_schedule(facts)
    if schedule is None:
        schedule = boundary.subscription_schedule_create(subscription_id=facts.id)
    schedule = boundary.subscription_schedule_modify(
        schedule_id=schedule.id,
        end_behavior="release",
        phases=[
            {
                "items": [
                    {"price": facts.price_id, "quantity": 1},
                    *([{"price": facts.overage_price_id}] if facts.overage_price_id else []),
                ],
                "start_date": schedule.current_phase.start_date,
                "end_date": int(facts.period_end.timestamp()),
            },
            {
                "items": [
                    {"price": price.id, "quantity": 1},
                    *_overage_phase_items(facts, plan, interval),
                ],
                "duration": {"interval": interval.value, "interval_count": 1},
            },
        ],
    )
    subscription = boundary.subscription_retrieve(subscription_id=facts.id)
    _audited(tenant, "billing.plan_change_scheduled", plan=plan.code, interval=interval)
    with transaction.atomic():
        boundary.synced(SubscriptionSchedule, schedule)
        return _sync_and_refresh(tenant, subscription)


def _live_schedule(facts: SubscriptionFacts):
    """The schedule the subscription follows, as Stripe has it, if it still runs."""
    if not facts.schedule_id:
        return None
    schedule = boundary.subscription_schedule_retrieve(schedule_id=facts.schedule_id)
    return schedule if schedule.status in LIVE_SCHEDULE_STATUSES else None


def _schedule_release(facts: SubscriptionFacts) -> bool:
    """Let the subscription go from its schedule (the change it scheduled is dropped); whether
    there was one to release."""
    if not facts.schedule_id:
        return False
    stored = SubscriptionSchedule.objects.filter(id=facts.schedule_id).first()
    if stored is not None and stored.status not in LIVE_SCHEDULE_STATUSES:
        return False
    boundary.synced(
        SubscriptionSchedule, boundary.subscription_schedule_release(schedule_id=facts.schedule_id)
    )
    return True


def _scheduled_change_cancel(tenant: Tenant, facts: SubscriptionFacts) -> Entitlement:
    """The plan in force chosen again: what was scheduled for the period's end is dropped."""
    if facts.cancel_at_period_end:
        return subscription_resume(tenant=tenant)
    if not _schedule_release(facts):
        return entitlement_refresh(tenant=tenant)
    _audited(tenant, "billing.plan_change_canceled", plan=facts.plan.code)
    return _sync_and_refresh(tenant, boundary.subscription_retrieve(subscription_id=facts.id))

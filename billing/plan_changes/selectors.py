"""Reads of plan changes: what a change would cost (Stripe's own preview of the invoice it would
make now) and the change a tenant has scheduled for its period's end."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.translation import gettext
from djstripe.models import Price, SubscriptionSchedule

from billing.exceptions import NoSubscription, PlanNotAvailable
from billing.models import LIVE_STATUSES
from billing.overage.selectors import overage_item_changes
from billing.plan_changes.rules import ChangeKind, change_kind
from billing.plans import FREE, Interval, Plan, plan_and_interval_for_lookup_key
from billing.selectors import price_get, subscription_facts_get
from billing.stripe import boundary
from billing.stripe.subscriptions import SubscriptionFacts
from loginexus.i18n.formatting import day_long
from loginexus.tenancy.models import Tenant

# Statuses in which a schedule still has phases to come.
LIVE_SCHEDULE_STATUSES = ("not_started", "active")


@dataclass(frozen=True)
class Money:
    amount: int  # minor units
    currency: str


@dataclass(frozen=True)
class PreviewLine:
    description: str
    amount: int  # minor units


@dataclass(frozen=True)
class PlanChangePreview:
    kind: ChangeKind
    due_now: Money
    next_invoice: Money
    next_invoice_date: datetime | None
    lines: list[PreviewLine]  # of the invoice made now, else of the next one
    proration_date: int | None  # the moment Stripe prorated at: pass it to the change

    @property
    def effective(self) -> str:
        """An upgrade (or dropping a scheduled change) takes effect now, a downgrade later."""
        return "period_end" if self.kind == ChangeKind.DOWNGRADE else "now"


@dataclass(frozen=True)
class ScheduledChange:
    plan: Plan
    interval: Interval | None
    at: datetime


def _timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _stripe_price(price_id: str | None) -> Price | None:
    return Price.objects.filter(id=price_id).first() if price_id else None


def live_facts_get(*, tenant: Tenant) -> SubscriptionFacts:
    """The tenant's live subscription, which a plan change changes."""
    facts = subscription_facts_get(tenant=tenant)
    if facts is None or facts.status not in LIVE_STATUSES:
        raise NoSubscription(
            gettext("This workspace has no subscription to change; choose a plan first.")
        )
    return facts


def plan_price_get(*, plan: Plan, interval: Interval) -> Price | None:
    """The Stripe price of a paid plan (None for Free)."""
    if plan.is_free:
        return None
    price = price_get(plan=plan, interval=interval)
    if price is None:
        raise PlanNotAvailable(
            gettext("The %(plan)s plan is not available yet. Please try again later.")
            % {"plan": plan.name}
        )
    return price


def plan_change_preview_get(*, tenant: Tenant, plan: Plan, interval: Interval) -> PlanChangePreview:
    """What choosing `plan` billed by `interval` costs the tenant: an upgrade is Stripe's preview
    of the invoice it makes at once; a downgrade (or the plan in force) charges nothing now and
    the next invoice is the new price at the period's end."""
    facts = live_facts_get(tenant=tenant)
    price = plan_price_get(plan=plan, interval=interval)
    kind = change_kind(
        current=facts.plan, current_interval=facts.interval, plan=plan, interval=interval
    )
    current_price = _stripe_price(facts.price_id)
    currency = facts.currency  # a subscription keeps its currency through every change
    if kind != ChangeKind.UPGRADE:
        charged = price if kind == ChangeKind.DOWNGRADE else current_price
        amount = 0 if plan.is_free or charged is None else _amount_in(charged, currency)
        lines = []
        if amount:
            lines = [
                PreviewLine(
                    description=_period_line(plan, interval, facts.period_end), amount=amount
                )
            ]
        return PlanChangePreview(
            kind=kind,
            due_now=Money(0, currency),
            next_invoice=Money(amount, currency),
            next_invoice_date=facts.period_end,
            lines=lines,
            proration_date=None,
        )
    invoice = boundary.invoice_preview(
        customer_id=facts.customer_id,
        subscription_id=facts.id,
        items=[
            {"id": facts.item_id, "price": price.id},
            *overage_item_changes(facts=facts, plan=plan, interval=interval),
        ],
        proration_behavior="always_invoice",
    )
    lines = list(invoice.lines.data)
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    period_ends = [line["period"]["end"] for line in lines if line.get("period")]
    next_date = facts.period_end
    if interval != facts.interval and period_ends:
        next_date = _timestamp(max(period_ends))
    return PlanChangePreview(
        kind=kind,
        due_now=Money(invoice.total, invoice.currency),
        next_invoice=Money(_amount_in(price, currency), currency),
        next_invoice_date=next_date,
        lines=[PreviewLine(line["description"] or "", line["amount"]) for line in lines],
        proration_date=details.get("subscription_proration_date"),
    )


def _amount_in(price: Price, currency: str) -> int:
    """What the price charges a period in `currency` (its currency option), by the plan it is."""
    known = plan_and_interval_for_lookup_key(price.lookup_key or "")
    if known and known[0].amount(known[1], currency):
        return known[0].amount(known[1], currency)
    return price.unit_amount


def _period_line(plan: Plan, interval: Interval, starts: datetime | None) -> str:
    if interval == Interval.YEAR:
        text = gettext("%(plan)s, billed yearly, from %(day)s")
    else:
        text = gettext("%(plan)s, billed monthly, from %(day)s")
    return text % {"plan": plan.name, "day": day_long(starts)}


def scheduled_change_get(*, tenant: Tenant) -> ScheduledChange | None:
    """The change the tenant's subscription makes at its period's end, if any: to Free when it
    is canceled at period end, else the next phase of its schedule. Until then the plan in force
    stays (and its limits apply)."""
    facts = subscription_facts_get(tenant=tenant)
    if facts is None or facts.status not in LIVE_STATUSES or facts.period_end is None:
        return None
    if facts.cancel_at_period_end:
        return ScheduledChange(plan=FREE, interval=None, at=facts.period_end)
    if not facts.schedule_id:
        return None
    schedule = (
        SubscriptionSchedule.objects.filter(id=facts.schedule_id, status__in=LIVE_SCHEDULE_STATUSES)
        .values_list("stripe_data", flat=True)
        .first()
    )
    ends = facts.period_end.timestamp()
    upcoming = [
        phase for phase in (schedule or {}).get("phases") or [] if phase["start_date"] >= ends
    ]
    if not upcoming:
        return None
    phase = min(upcoming, key=lambda phase: phase["start_date"])
    wanted = (phase.get("items") or [{}])[0].get("price")
    price = _stripe_price(wanted.get("id") if isinstance(wanted, dict) else wanted)
    known = plan_and_interval_for_lookup_key(price.lookup_key or "") if price else None
    if known is None:
        return None
    plan, interval = known
    return ScheduledChange(plan=plan, interval=interval, at=_timestamp(phase["start_date"]))

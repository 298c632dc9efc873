"""Which way a plan change goes, and therefore when it takes effect."""

from enum import StrEnum

from billing.plans import Interval, Plan


class ChangeKind(StrEnum):
    SAME = "same"  # the plan in force again: cancels a scheduled change
    UPGRADE = "upgrade"  # takes effect now, its prorated amount charged now
    DOWNGRADE = "downgrade"  # takes effect at the period's end


def change_kind(
    *, current: Plan, current_interval: Interval | None, plan: Plan, interval: Interval
) -> ChangeKind:
    """Monthly → yearly is an upgrade and yearly → monthly a downgrade whatever the plans (a
    year paid ahead is never cut short); within one interval the dearer plan is the upgrade;
    Free is always a downgrade."""
    if plan.is_free:
        return ChangeKind.SAME if current.is_free else ChangeKind.DOWNGRADE
    if plan == current and interval == current_interval:
        return ChangeKind.SAME
    if current_interval != interval:
        return ChangeKind.UPGRADE if interval == Interval.YEAR else ChangeKind.DOWNGRADE
    if plan.price(interval) > current.price(interval):
        return ChangeKind.UPGRADE
    return ChangeKind.DOWNGRADE

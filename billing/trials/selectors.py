"""Reads of trials: whether a tenant may still start one."""

from billing.models import LIVE_STATUSES, Entitlement


def trial_available(*, entitlement: Entitlement) -> bool:
    """No trial used yet and no live subscription (a trial starts one)."""
    return entitlement.trial_used_at is None and entitlement.status not in LIVE_STATUSES

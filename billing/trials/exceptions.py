"""Errors of trials, in billing's one hierarchy."""

from loginexus.exceptions import Conflict


class TrialUsed(Conflict):
    """The tenant had its one trial already (it is remembered after the subscription ended)."""

    code = "trial_used"

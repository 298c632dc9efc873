"""Errors of overage, each with the HTTP status and code of its answer."""

from loginexus.exceptions import Conflict


class OverageNotAvailable(Conflict):
    """Overage is for a paid Pro subscription: Free has nothing to bill it on, Enterprise no
    limit to pass."""

    code = "overage_not_available"

"""Errors of accounts."""

from loginexus.exceptions import Conflict


class LastAdmin(Conflict):
    """A workspace always keeps one active admin, and nobody deactivates themselves."""

    code = "last_admin"

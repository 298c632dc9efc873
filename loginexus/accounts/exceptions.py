"""Errors of accounts."""

from loginexus.exceptions import ApplicationError, Conflict


class LastAdmin(Conflict):
    """A workspace always keeps one active admin, and nobody deactivates themselves."""

    code = "last_admin"


class InvitationNotPending(Conflict):
    """Only a pending invitation can be resent or revoked."""

    code = "invitation_not_pending"

    def __init__(self, message: str, *, current: str) -> None:
        super().__init__(message, extra={"current": current})


class EmailUnverified(ApplicationError):
    """Inviting people (and, later, API keys) waits until the actor's address is verified."""

    status = 403
    code = "email_unverified"


class MfaRequired(ApplicationError):
    """A password alone does not open an account with two-factor authentication."""

    status = 403
    code = "mfa_required"

"""Domain errors of outbound webhooks."""

from loginexus.exceptions import ApplicationError


class DestinationRefused(ApplicationError):
    """A URL webhooks may not be sent to (scheme, or a host that is not public)."""

    status = 400
    code = "webhook_destination_refused"

"""Errors of billing, each with the HTTP status and code of its answer."""

from loginexus.exceptions import ApplicationError, Conflict, ServiceUnavailable


class StripeUnavailable(ServiceUnavailable):
    code = "stripe_unavailable"


class PaymentDeclined(ApplicationError):
    status = 402
    code = "payment_declined"


class StripeRequestRejected(ApplicationError):
    status = 400
    code = "stripe_request_rejected"


class TaxIdInvalid(ApplicationError):
    """Stripe refused a tax ID's value (400 `tax_id_invalid`): a field error for the user."""

    status = 400
    code = "tax_id_invalid"


class SubscriptionExists(Conflict):
    code = "subscription_exists"


class CurrencyMismatch(Conflict):
    """A checkout in another currency than the one the workspace's Stripe customer has."""

    code = "currency_mismatch"


class NoSubscription(Conflict):
    code = "no_subscription"


class NotPastDue(Conflict):
    code = "not_past_due"


class PlanNotAvailable(ServiceUnavailable):
    """The plan's price is not in Stripe yet (billing_sync_plans has not run)."""

    code = "plan_not_available"


class BillingStateChanging(ServiceUnavailable):
    """The entitlement kept changing while a limit check ran (it never should, in practice)."""

    code = "billing_state_changing"


class PlanLimitExceeded(ApplicationError):
    """Creating more would pass the plan's limit for this period (or its seats)."""

    status = 402
    code = "plan_limit_exceeded"

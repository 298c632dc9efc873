"""What the audit log's recorded actions and object types are called on its page (the codes
stay what the API and the filters use)."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "api_key.created": _("API key created"),
    "api_key.revoked": _("API key revoked"),
    "billing.cancel_scheduled": _("Subscription set to end"),
    "billing.checkout_started": _("Checkout started"),
    "billing.plan_changed": _("Plan changed"),
    "billing.resumed": _("Subscription resumed"),
    "escrow.created": _("Escrow opened"),
    "escrow.status_changed": _("Escrow status changed"),
    "invitation.accepted": _("Invitation accepted"),
    "invitation.created": _("Person invited"),
    "invitation.resent": _("Invitation sent again"),
    "invitation.revoked": _("Invitation revoked"),
    "shipment.created": _("Shipment created"),
    "shipment.deleted": _("Shipment deleted"),
    "shipment.status_changed": _("Shipment status changed"),
    "shipment.updated": _("Shipment changed"),
    "user.created": _("User added"),
    "user.updated": _("User changed"),
    "webhook_endpoint.created": _("Webhook endpoint added"),
    "webhook_endpoint.deleted": _("Webhook endpoint deleted"),
    "webhook_endpoint.secret_rotated": _("Webhook secret rotated"),
    "webhook_endpoint.updated": _("Webhook endpoint changed"),
}

OBJECT_LABELS = {
    "api_key": _("API key"),
    "escrow": _("Escrow"),
    "invitation": _("Invitation"),
    "shipment": _("Shipment"),
    "subscription": _("Subscription"),
    "tenant": _("Workspace"),
    "user": _("User"),
    "webhook_endpoint": _("Webhook endpoint"),
}

"""dj-stripe's admin screens, made safe for platform staff: read-only (Stripe's copies are
changed in Stripe), no API key on any page, no page that breaks on a key the current Stripe API
moved, and webhook endpoints shown, not edited (they are managed by `billing_sync_plans`)."""

from decimal import Decimal

import djstripe.admin  # noqa: F401  (registers dj-stripe's screens, adjusted here)
import rest_framework.authtoken.admin  # noqa: F401  (registers the token screen, removed here)
from django.contrib import admin
from django.forms.utils import pretty_name
from django.utils.translation import gettext_lazy as _
from djstripe.admin.admin import StripeModelAdmin
from djstripe.models import WebhookEndpoint
from rest_framework.authtoken.models import TokenProxy

from loginexus.i18n.formatting import money, money_minor

# Model properties dj-stripe's screens would print that hold a secret.
SECRET_PROPERTIES = frozenset({"default_api_key"})
# Properties dj-stripe 2.11 reads from keys the current API moved (they raise on today's data).
MOVED_KEYS = (KeyError, TypeError, AttributeError)


class ReadOnlyAdminMixin:
    """Rows as Stripe sent them: staff read them; nothing is added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SyncedStripeAdminMixin(ReadOnlyAdminMixin):
    """dj-stripe's copies are Stripe's to change: no add, change or delete, and none of
    dj-stripe's actions (re-sync and cancel call Stripe from a list); the tenant's page has the
    staff actions that do it on purpose."""

    def get_actions(self, request):
        return {}


class SafeStripeModelAdmin:
    """Shows a Stripe object's properties read-only, except secrets and those that cannot be
    read from the object as Stripe sends it now."""

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [name for name in fields if name not in SECRET_PROPERTIES and _readable(obj, name)]

    def get_list_display(self, request):
        # Invoices list `paid`, a key the current API replaced by `status`; amounts are shown
        # as money (Stripe keeps them in minor units), which names the currency too.
        names = [name for name in super().get_list_display(request) if name != "paid"]
        if any(name in MONEY_NAMES for name in names):
            names = [name for name in names if name != "currency"]
        return names


def _money_column(name: str):
    """A ModelAdmin method shown instead of the model's `name` (in lists and on the change
    page alike): Stripe's minor units as money."""

    @admin.display(description=pretty_name(name))
    def shown(model_admin, obj):
        try:
            value = getattr(obj, name, None)
        except MOVED_KEYS:
            return None
        currency = getattr(obj, "currency", None) or (obj.stripe_data or {}).get("currency")
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            return value
        return money_minor(value, currency) if isinstance(value, int) else money(value, currency)

    shown.__name__ = name
    return shown


# Amounts of dj-stripe's models, shown through the one formatter.
MONEY_NAMES = (
    "amount",
    "amount_off",
    "amount_due",
    "amount_paid",
    "total",
    "subtotal",
    "net",
    "fee",
)
for _name in MONEY_NAMES:
    setattr(SafeStripeModelAdmin, _name, _money_column(_name))


def _readable(obj, name: str) -> bool:
    if obj is None or not isinstance(getattr(type(obj), name, None), property):
        return True
    try:
        getattr(obj, name)
    except MOVED_KEYS:
        return False
    return True


for model, model_admin in list(admin.site._registry.items()):
    if model._meta.app_label == "djstripe":
        admin.site.unregister(model)
        bases = (SyncedStripeAdminMixin, type(model_admin))
        if isinstance(model_admin, StripeModelAdmin):
            bases = (SyncedStripeAdminMixin, SafeStripeModelAdmin, type(model_admin))
        admin.site.register(model, type(type(model_admin).__name__, bases, {}))


if admin.site.is_registered(WebhookEndpoint):
    admin.site.unregister(WebhookEndpoint)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Where Stripe sends events, as synced; its signing secret is never shown."""

    list_display = ("id", "url", "enabled_events_count", "livemode", "created")
    fields = ("id", "url", "djstripe_uuid", "enabled_events", "api_version", "livemode", "created")
    readonly_fields = fields

    @admin.display(description=_("Events"))
    def enabled_events_count(self, endpoint: WebhookEndpoint) -> int:
        return len(endpoint.enabled_events or [])


# API tokens live in tenant schemas: the public host's admin has none to show.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)

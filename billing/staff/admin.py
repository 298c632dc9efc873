"""Staff screens of billing (public host): every Stripe webhook that reached us, why one failed,
and reprocessing it through the worker, confirmed first and logged."""

import json

import djstripe.admin  # noqa: F401  (registers dj-stripe's screens, one of which this replaces)
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import truncatechars
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from djstripe.models import WebhookEventTrigger

from billing.models import StripeWebhook
from billing.selectors import webhook_summary, webhook_tenants
from billing.staff import admin_home
from billing.staff import promotions as _promotions  # noqa: F401  (the promotion codes screen)
from billing.staff.stripe_admin import ReadOnlyAdminMixin  # with dj-stripe's own screens, made safe
from billing.stripe.webhooks import webhook_body_truncation, webhook_trigger_reprocess
from loginexus.i18n.formatting import number
from loginexus.tenancy.models import Tenant

REPROCESS_PERMISSION = "billing.reprocess_stripewebhook"
REPROCESS_LOG_MESSAGE = "Reprocess requested"

# Staff have one place for webhooks: this screen, not dj-stripe's own.
if admin.site.is_registered(WebhookEventTrigger):
    admin.site.unregister(WebhookEventTrigger)

FAILED = Q(valid=True, processed=False) & ~Q(exception="")

admin_home.install()


class FailedFilter(admin.SimpleListFilter):
    title = _("failed")
    parameter_name = "failed"

    def lookups(self, request, model_admin):
        return [("yes", _("Failed")), ("no", _("Not failed"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(is_failed=True)
        if self.value() == "no":
            return queryset.filter(is_failed=False)
        return queryset


def _describe(triggers) -> None:
    """Put on each trigger what its event is and whose tenant it concerns, in one query."""
    for trigger in triggers:
        trigger.summary = webhook_summary(trigger)
    tenants = webhook_tenants(summaries=[trigger.summary for trigger in triggers])
    for trigger in triggers:
        trigger.tenant = tenants.get(trigger.summary.customer_id)


class StripeWebhookChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        _describe(self.result_list)


@admin.register(StripeWebhook)
class StripeWebhookAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created", "status", "event_type", "event_id_shown", "tenant_link", "error", "remote_ip",
    )  # fmt: skip
    list_display_links = ("created",)
    list_filter = ("valid", "processed", FailedFilter)
    list_select_related = ("event",)
    search_fields = ("=event__id", "body__contains", "exception")
    search_help_text = _("An event id (evt_…), an object id in the body, or words of the error.")
    ordering = ("-created",)
    list_per_page = 50
    actions = ("reprocess",)
    fields = readonly_fields = (
        "created", "updated", "remote_ip", "status", "event_type",
        "event_id_shown", "event", "tenant_link", "webhook_endpoint", "djstripe_version",
        "exception", "traceback_shown", "body_shown", "headers_shown",
    )  # fmt: skip
    change_form_template = "admin/billing/stripewebhook/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(is_failed=ExpressionWrapper(FAILED, output_field=BooleanField()))
        )

    def get_changelist(self, request, **kwargs):
        return StripeWebhookChangeList

    def get_object(self, request, object_id, from_field=None):
        trigger = super().get_object(request, object_id, from_field)
        if trigger is not None:
            _describe([trigger])
        return trigger

    # What a webhook is stays as it arrived: staff read it and may only reprocess it.

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or self.has_reprocess_permission(request)

    def has_reprocess_permission(self, request) -> bool:
        return request.user.has_perm(REPROCESS_PERMISSION)

    # Columns and fields.

    @admin.display(description=_("Event type"))
    def event_type(self, trigger) -> str:
        return trigger.summary.event_type

    @admin.display(description=_("Event id"))
    def event_id_shown(self, trigger) -> str:
        return trigger.summary.event_id

    @admin.display(description=_("Status"), ordering="is_failed")
    def status(self, trigger) -> str:
        """In words, so a healthy row reads as one (a "Failed" column of ✖ marks did not)."""
        if not trigger.valid:
            return gettext("Refused: bad signature or not an event")
        if trigger.processed:
            return gettext("Processed")
        if trigger.is_failed:
            return gettext("Failed")
        return gettext("Waiting to be processed")

    @admin.display(description=_("Error"), ordering="exception")
    def error(self, trigger) -> str:
        return truncatechars(trigger.exception, 60)

    @admin.display(description=_("Tenant"))
    def tenant_link(self, trigger) -> str:
        tenant: Tenant | None = trigger.tenant
        if tenant is None:
            return ""
        url = reverse("admin:tenancy_tenant_change", args=[tenant.pk])
        return format_html('<a href="{}">{}</a>', url, tenant.slug)

    @admin.display(description=_("Traceback"))
    def traceback_shown(self, trigger) -> str:
        return format_html("<pre>{}</pre>", trigger.traceback) if trigger.traceback else ""

    @admin.display(description=_("Body"))
    def body_shown(self, trigger) -> str:
        kept, received_bytes = webhook_body_truncation(trigger.body)
        if received_bytes is not None:
            note = gettext(
                "Refused and shortened: %(received)s bytes were received; the first %(kept)s "
                "characters are kept."
            ) % {"received": number(received_bytes), "kept": number(len(kept))}
            return format_html("<p><strong>{}</strong></p><pre>{}</pre>", note, kept)
        try:
            body = json.dumps(json.loads(kept), indent=2)
        except (ValueError, RecursionError):
            body = kept
        return format_html("<pre>{}</pre>", body)

    @admin.display(description=_("Headers"))
    def headers_shown(self, trigger) -> str:
        return format_html("<pre>{}</pre>", json.dumps(trigger.headers, indent=2, default=str))

    # Reprocessing: the list's action and the detail page's button, both confirmed first.

    @admin.action(description=_("Reprocess selected Stripe webhooks"), permissions=["reprocess"])
    def reprocess(self, request, queryset):
        triggers = list(queryset.order_by("pk"))
        if request.POST.get("post") == "yes":
            self._reprocess(request, triggers)
            return None
        _describe(triggers)
        return self._confirmation(
            request,
            triggers,
            hidden=[
                ("action", "reprocess"),
                ("post", "yes"),
                *((helpers.ACTION_CHECKBOX_NAME, trigger.pk) for trigger in triggers),
            ],
            back_url=request.get_full_path(),
        )

    def changelist_view(self, request, extra_context=None):
        # Without this, an action the user may not run would only be "not selected".
        if (
            request.method == "POST"
            and "reprocess" in request.POST.getlist("action")
            and not self.has_reprocess_permission(request)
        ):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {"can_reprocess": self.has_reprocess_permission(request), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/reprocess/",
                self.admin_site.admin_view(self.reprocess_view),
                name="billing_stripewebhook_reprocess",
            ),
            *super().get_urls(),
        ]

    def reprocess_view(self, request, object_id: str):
        """The detail page's button: asks first (GET), reprocesses on POST."""
        if not self.has_reprocess_permission(request):
            raise PermissionDenied
        trigger = get_object_or_404(self.get_queryset(request), pk=object_id)
        change_url = reverse("admin:billing_stripewebhook_change", args=[trigger.pk])
        if request.method == "POST":
            self._reprocess(request, [trigger])
            return HttpResponseRedirect(change_url)
        _describe([trigger])
        return self._confirmation(request, [trigger], hidden=[], back_url=change_url)

    def _confirmation(self, request, triggers, *, hidden, back_url) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Are you sure?"),
            "triggers": triggers,
            "hidden": hidden,
            "back_url": back_url,
        }
        return TemplateResponse(
            request, "admin/billing/stripewebhook/reprocess_confirmation.html", context
        )

    def _reprocess(self, request, triggers) -> None:
        outcome = webhook_trigger_reprocess(trigger_ids=[trigger.pk for trigger in triggers])
        for trigger in triggers:
            if trigger.pk in outcome.queued:
                self.log_change(request, trigger, REPROCESS_LOG_MESSAGE)
        if outcome.queued:
            message = ngettext(
                "Queued %(count)s webhook for reprocessing: %(ids)s.",
                "Queued %(count)s webhooks for reprocessing: %(ids)s.",
                len(outcome.queued),
            )
            self.message_user(request, message % _counted(outcome.queued), messages.SUCCESS)
        if outcome.already_processed:
            message = ngettext(
                "Skipped %(count)s webhook already processed: %(ids)s.",
                "Skipped %(count)s webhooks already processed: %(ids)s.",
                len(outcome.already_processed),
            )
            self.message_user(
                request, message % _counted(outcome.already_processed), messages.WARNING
            )
        if outcome.invalid:
            message = ngettext(
                "Skipped %(count)s webhook not valid (bad signature or not an event): %(ids)s.",
                "Skipped %(count)s webhooks not valid (bad signature or not an event): %(ids)s.",
                len(outcome.invalid),
            )
            self.message_user(request, message % _counted(outcome.invalid), messages.WARNING)


def _counted(trigger_ids: list[int]) -> dict[str, str]:
    return {"count": number(len(trigger_ids)), "ids": _ids(trigger_ids)}


def _ids(trigger_ids: list[int]) -> str:
    return ", ".join(f"#{trigger_id}" for trigger_id in trigger_ids)

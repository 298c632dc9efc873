"""Staff screens for tenants (public host only): who pays for what, how much they use, and the
actions that repair a tenant's billing: re-sync, grace, complimentary plan, suspension."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from babel.dates import format_date
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.models import SubscriptionStatus
from billing.overage.selectors import overage_history
from billing.plans import CURRENCY, PLANS, RESOURCE_LABELS, Resource, plan_by_code
from billing.promotions.selectors import tenant_discounts
from billing.selectors import usage_rows
from billing.services import comp_plan_end, comp_plan_grant, grace_extend, tenant_resync
from billing.staff.tenant_overview import (
    entitlement_of,
    standings,
    stripe_records,
    tenant_admins,
    tenant_ids_where,
    tenants_for_staff,
    usage_history,
)
from loginexus.audit.selectors import audit_latest
from loginexus.exceptions import ApplicationError
from loginexus.i18n.formatting import day, locale_name, moment, money, number
from loginexus.replica import staff_reads
from loginexus.tenancy.forms import CompPlanForm, ConfirmForm, GraceExtendForm, SuspendForm
from loginexus.tenancy.models import Domain, Tenant
from loginexus.tenancy.selectors import tenant_url
from loginexus.tenancy.services import tenant_suspend, tenant_unsuspend


@dataclass(frozen=True)
class StaffAction:
    """An action on one tenant: confirmed on its own page, permitted, logged."""

    label: str
    permission: str
    form: type[forms.Form]
    run: Callable[[Tenant, dict[str, Any]], Any]
    done: Callable[[dict[str, Any]], str]
    confirm: str  # the confirmation page's button
    shown: Callable[[Tenant], bool] = lambda tenant: True


STAFF_ACTIONS: dict[str, StaffAction] = {
    "resync": StaffAction(
        label=_("Re-sync from Stripe"),
        permission="tenancy.resync_tenant",
        form=ConfirmForm,
        run=lambda tenant, data: tenant_resync(tenant=tenant),
        done=lambda data: gettext("Re-synced from Stripe."),
        confirm=_("Yes, re-sync from Stripe"),
    ),
    "extend-grace": StaffAction(
        label=_("Extend grace"),
        permission="tenancy.extend_grace_tenant",
        form=GraceExtendForm,
        run=lambda tenant, data: grace_extend(tenant=tenant, until=data["until"]),
        done=lambda data: (
            gettext("Extended the grace period until %(until)s.") % {"until": moment(data["until"])}
        ),
        confirm=_("Yes, extend grace"),
        shown=lambda tenant: entitlement_of(tenant).status == "past_due",
    ),
    "comp": StaffAction(
        label=_("Set complimentary plan"),
        permission="tenancy.comp_tenant",
        form=CompPlanForm,
        run=lambda tenant, data: comp_plan_grant(
            tenant=tenant, plan=plan_by_code(data["plan"]), until=data["until"]
        ),
        done=lambda data: (
            gettext("Set complimentary plan %(plan)s until %(until)s.")
            % {"plan": plan_by_code(data["plan"]).name, "until": moment(data["until"])}
        ),
        confirm=_("Yes, set the complimentary plan"),
    ),
    "end-comp": StaffAction(
        label=_("End complimentary plan"),
        permission="tenancy.comp_tenant",
        form=ConfirmForm,
        run=lambda tenant, data: comp_plan_end(tenant=tenant),
        done=lambda data: gettext("Ended the complimentary plan."),
        confirm=_("Yes, end the complimentary plan"),
        shown=lambda tenant: bool(entitlement_of(tenant).comp_plan),
    ),
    "suspend": StaffAction(
        label=_("Suspend"),
        permission="tenancy.suspend_tenant",
        form=SuspendForm,
        run=lambda tenant, data: tenant_suspend(tenant=tenant, reason=data["reason"]),
        done=lambda data: gettext("Suspended: %(reason)s") % {"reason": data["reason"]},
        confirm=_("Yes, suspend"),
        shown=lambda tenant: not tenant.is_suspended,
    ),
    "unsuspend": StaffAction(
        label=_("Unsuspend"),
        permission="tenancy.suspend_tenant",
        form=ConfirmForm,
        run=lambda tenant, data: tenant_unsuspend(tenant=tenant),
        done=lambda data: gettext("Unsuspended."),
        confirm=_("Yes, unsuspend"),
        shown=lambda tenant: tenant.is_suspended,
    ),
}


class StandingFilter(admin.SimpleListFilter):
    """A filter on what the tenant's standing says now (computed for all tenants at once)."""

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        keep = self.keep(self.value())
        ids = tenant_ids_where(now=timezone.now(), keep=keep, using=queryset.db)
        return queryset.filter(pk__in=ids)


class PlanFilter(StandingFilter):
    title = _("plan in force")
    parameter_name = "plan"

    def lookups(self, request, model_admin):
        return [*((plan.code, plan.name) for plan in PLANS.values()), ("comp", _("Complimentary"))]

    def keep(self, value):
        if value == "comp":
            return lambda standing: standing.on_comp
        return lambda standing: standing.plan.code == value and not standing.on_comp


class NearLimitFilter(StandingFilter):
    title = _("usage")
    parameter_name = "near_limit"

    def lookups(self, request, model_admin):
        return [("yes", _("Near a limit (80 percent or more)"))]

    def keep(self, value):
        return lambda standing: standing.near_a_limit


class StatusFilter(admin.SimpleListFilter):
    title = _("subscription status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return SubscriptionStatus.choices

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.value() == "none":
            return queryset.filter(entitlement__status__in=[None, "none"])
        return queryset.filter(entitlement__status=self.value())


class PastDueFilter(admin.SimpleListFilter):
    title = _("past due")
    parameter_name = "past_due"

    def lookups(self, request, model_admin):
        return [("in_grace", _("Past due, in grace")), ("grace_over", _("Past due, grace over"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "in_grace":
            return queryset.filter(entitlement__status="past_due", entitlement__grace_until__gt=now)
        if self.value() == "grace_over":
            return queryset.filter(entitlement__status="past_due").exclude(
                entitlement__grace_until__gt=now
            )
        return queryset


class CreatedFilter(admin.DateFieldListFilter):
    """When the tenant signed up, under a translated title."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = _("created")


class TenantChangeList(ChangeList):
    """Each page's tenants get their standing in a fixed number of queries.

    Showing the list (its counts, its page of tenants, their standings and the filters') reads
    the hot standby while it keeps up: a few seconds old at most, and the list of every tenant
    is the heaviest staff read. A POST (an action on the selected tenants) reads the primary.
    """

    def __init__(self, request, *args, **kwargs):
        self.reads = staff_reads() if request.method in ("GET", "HEAD") else DEFAULT_DB_ALIAS
        super().__init__(request, *args, **kwargs)

    def get_queryset(self, request, exclude_parameters=None):
        self.root_queryset = self.root_queryset.using(self.reads)
        return super().get_queryset(request, exclude_parameters)

    def get_results(self, request):
        super().get_results(request)
        page = standings(tenants=self.result_list, now=timezone.now(), using=self.reads)
        for tenant in self.result_list:
            tenant.standing = page[tenant.pk]


class DomainInline(admin.StackedInline):  # stacked: each field with its label
    model = Domain
    extra = 0
    fields = ("domain", "is_primary")


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    # Seven short columns fit 1,366 px: name and site share one, plan and status one, usage one.
    list_display = ("slug", "workspace", "plan_in_force", "period_end", "usage", "mrr", "created")
    list_filter = (
        PlanFilter, StatusFilter, PastDueFilter, NearLimitFilter, ("created_at", CreatedFilter),
    )  # fmt: skip
    search_fields = ("slug", "name", "email", "domains__domain", "entitlement__stripe_customer_id")
    ordering = ("-created_at",)
    list_per_page = 50
    readonly_fields = (
        "schema_name", "created_at", "open_link", "suspended_at", "suspended_reason",
    )  # fmt: skip
    fields = (
        "name", "slug", "email", "schema_name", "created_at", "open_link",
        "suspended_at", "suspended_reason",
    )  # fmt: skip
    inlines = [DomainInline]
    change_form_template = "admin/tenancy/tenant/change_form.html"

    def get_queryset(self, request):
        return tenants_for_staff()

    def get_changelist(self, request, **kwargs):
        return TenantChangeList

    def get_readonly_fields(self, request, obj=None):
        # The slug names the schema and the host: fixed once the tenant exists.
        return (*self.readonly_fields, "slug") if obj else self.readonly_fields

    def has_add_permission(self, request):
        # Tenants are made by signup (tenant_provision), which also clones their schema.
        return False

    def has_delete_permission(self, request, obj=None):
        # A tenant's data is never one click away from deletion.
        return False

    @admin.display(description=_("Site"))
    def open_link(self, tenant: Tenant):
        url = tenant_url(tenant=tenant)
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description=_("Workspace"), ordering="name")
    def workspace(self, tenant: Tenant):
        url = tenant_url(tenant=tenant)
        return format_html(
            '{}<br><small><a href="{}" target="_blank" rel="noopener">{}</a></small>',
            tenant.name,
            url,
            url.removeprefix("http://").removeprefix("https://").rstrip("/"),
        )

    @admin.display(description=_("Plan and status"))
    def plan_in_force(self, tenant: Tenant) -> str:
        standing = tenant.standing
        if standing.on_comp:
            label = gettext("%(plan)s (comp)") % {"plan": standing.plan.name}
        else:
            label = str(standing.plan.name)
        status = standing.entitlement.get_status_display()
        if tenant.is_suspended:
            status = gettext("%(status)s, suspended") % {"status": status}
        return format_html("{}<br><small>{}</small>", label, status)

    @admin.display(description=_("Period ends"))
    def period_end(self, tenant: Tenant) -> str:
        grace = tenant.standing.entitlement.grace_until
        if grace is None:
            return day(tenant.standing.period_end)
        return format_html(
            "{}<br><small>{}</small>",
            day(tenant.standing.period_end),
            gettext("grace until %(day)s") % {"day": day(grace)},
        )

    @admin.display(description=_("Usage"))
    def usage(self, tenant: Tenant) -> str:
        return format_html_join(
            mark_safe("<br>"),
            "{}: {}",
            (
                (RESOURCE_LABELS[resource], _used(usage))
                for resource, usage in tenant.standing.usage.items()
            ),
        )

    @admin.display(description=_("MRR"))
    def mrr(self, tenant: Tenant) -> str:
        return money(tenant.standing.monthly_revenue, CURRENCY)

    @admin.display(description=_("Created"), ordering="created_at")
    def created(self, tenant: Tenant) -> str:
        return day(tenant.created_at)

    # The tenant's page: its billing, usage and Stripe records, and the staff actions.

    def change_view(self, request, object_id, form_url="", extra_context=None):
        tenant = self.get_object(request, object_id)
        if tenant is None:
            return super().change_view(request, object_id, form_url, extra_context)
        now = timezone.now()
        standing = standings(tenants=[tenant], now=now)[tenant.pk]
        context = {
            "standing": standing,
            "usage_rows": usage_rows(usage=standing.usage),
            "currency": CURRENCY,
            "admins": tenant_admins(tenant=tenant),
            "history": _history_chart(usage_history(tenant=tenant)),
            "overage": overage_history(tenant=tenant),
            "stripe": stripe_records(tenant=tenant),
            "discounts": tenant_discounts(tenant=tenant, now=now),
            "audit": audit_latest(tenant=tenant),
            "staff_actions": [
                (name, action.label)
                for name, action in STAFF_ACTIONS.items()
                if request.user.has_perm(action.permission) and action.shown(tenant)
            ],
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/staff-action/<slug:action>/",
                self.admin_site.admin_view(self.staff_action_view),
                name="tenancy_tenant_staff_action",
            ),
            *super().get_urls(),
        ]

    def staff_action_view(self, request, object_id: str, action: str):
        """Shows what the action will do and asks for its details; runs it on POST."""
        tenant = get_object_or_404(self.get_queryset(request), pk=object_id)
        staff_action = STAFF_ACTIONS.get(action)
        if staff_action is None or not request.user.has_perm(staff_action.permission):
            raise PermissionDenied
        change_url = reverse("admin:tenancy_tenant_change", args=[tenant.pk])
        form = staff_action.form(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                staff_action.run(tenant, form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                message = staff_action.done(form.cleaned_data)
                self.log_change(request, tenant, f"{staff_action.label}: {message}")
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": tenant,
            "title": gettext("%(action)s: %(tenant)s")
            % {"action": staff_action.label, "tenant": tenant.name},
            "action_label": staff_action.label,
            "confirm_label": staff_action.confirm,
            "form": form,
            "change_url": change_url,
            "entitlement": entitlement_of(tenant),
        }
        return TemplateResponse(request, "admin/tenancy/tenant/staff_action.html", context)


def _used(usage) -> str:
    limit = "∞" if usage.limit is None else number(usage.limit)
    return f"{number(usage.used)} / {limit}"


def _history_chart(history: dict[str, list]) -> list[dict[str, Any]]:
    """Per resource, its last periods as bars scaled to the busiest one (for a small SVG)."""
    charts = []
    for resource, counters in history.items():
        top = max((counter.used for counter in counters), default=0) or 1
        charts.append(
            {
                "resource": resource,
                "label": RESOURCE_LABELS[Resource(resource)],
                "bars": [
                    {
                        "x": 8 + index * 44,
                        "height": round(60 * counter.used / top),
                        "y": 70 - round(60 * counter.used / top),
                        "used": counter.used,
                        "label": format_date(counter.period_start, "MMM yy", locale=locale_name()),
                    }
                    for index, counter in enumerate(counters)
                ],
            }
        )
    return charts


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "tenant", "is_primary")
    list_select_related = ("tenant",)
    search_fields = ("domain", "tenant__name", "tenant__slug")
    list_filter = ("is_primary",)
    autocomplete_fields = ("tenant",)

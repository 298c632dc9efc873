"""Staff screen of promotion codes (public host's admin): each code with its coupon, how often
Stripe counted it redeemed, and which workspaces redeemed it. Read-only: codes are defined in
billing/promotions/definitions.py and synced by `billing_sync_plans`."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from djstripe.models import Coupon, PromotionCode

from billing.promotions.selectors import promotion_code_redemptions
from billing.promotions.services import promotion_codes_refresh
from billing.staff.stripe_admin import SyncedStripeAdminMixin
from loginexus.i18n.formatting import day

if admin.site.is_registered(PromotionCode):
    admin.site.unregister(PromotionCode)


@admin.register(PromotionCode)
class PromotionCodeAdmin(SyncedStripeAdminMixin, admin.ModelAdmin):
    list_display = ("code_shown", "coupon_shown", "active_shown", "times_redeemed", "limit")
    search_fields = ("id", "stripe_data__code")
    fields = (
        "id",
        "code_shown",
        "coupon_shown",
        "active_shown",
        "times_redeemed",
        "limit",
        "redemptions",
    )
    readonly_fields = fields
    actions = ["refresh"]

    def get_actions(self, request):
        """Only the refresh (dj-stripe's own actions are off, as on its other screens)."""
        return {"refresh": self.get_action("refresh")}

    @admin.action(description=_("Refresh from Stripe (times redeemed)"))
    def refresh(self, request, queryset):
        count = promotion_codes_refresh(promotion_codes=queryset)
        message = ngettext(
            "%(count)d promotion code refreshed from Stripe.",
            "%(count)d promotion codes refreshed from Stripe.",
            count,
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.display(description=_("Code"))
    def code_shown(self, promotion_code: PromotionCode) -> str:
        return promotion_code.code

    @admin.display(description=_("Coupon"))
    def coupon_shown(self, promotion_code: PromotionCode) -> str:
        coupon_id = (promotion_code.stripe_data.get("promotion") or {}).get("coupon")
        coupon = Coupon.objects.filter(id=coupon_id).first()
        return f"{coupon} ({coupon.human_readable})" if coupon else coupon_id or ""

    @admin.display(description=_("Active"), boolean=True)
    def active_shown(self, promotion_code: PromotionCode) -> bool:
        return bool(promotion_code.active)

    @admin.display(description=_("Times redeemed (as last synced)"))
    def times_redeemed(self, promotion_code: PromotionCode) -> int:
        return promotion_code.times_redeemed

    @admin.display(description=_("Limit"))
    def limit(self, promotion_code: PromotionCode) -> str:
        limit = promotion_code.max_redemptions
        return str(limit) if limit else gettext("none")

    @admin.display(description=_("Redeemed by"))
    def redemptions(self, promotion_code: PromotionCode) -> str:
        redemptions = promotion_code_redemptions(promotion_code=promotion_code)
        if not redemptions:
            return gettext("No workspace has redeemed this code yet.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    _tenant_link(redemption.tenant, redemption.customer_id),
                    day(redemption.start) if redemption.start else "",
                    gettext("until %(day)s") % {"day": day(redemption.end)}
                    if redemption.end
                    else gettext("for as long as the subscription lasts"),
                )
                for redemption in redemptions
            ),
        )
        return format_html("<table>{}</table>", rows)


def _tenant_link(tenant, customer_id: str) -> str:
    if tenant is None:
        return customer_id
    url = reverse("admin:tenancy_tenant_change", args=[tenant.pk])
    return format_html('<a href="{}">{}</a>', url, tenant.name)

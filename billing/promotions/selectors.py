"""Reads of promotions for staff: a tenant's discounts now, and who redeemed a promotion code,
from dj-stripe's copies (discounts are stored with the invoices they reduced)."""

from dataclasses import dataclass
from datetime import UTC, datetime

from djstripe.models import Coupon, Discount, PromotionCode, Subscription

from billing.models import LIVE_STATUSES
from billing.selectors import customer_get
from loginexus.tenancy.models import Tenant


@dataclass(frozen=True)
class DiscountShown:
    discount_id: str
    code: str  # the promotion code's text, or "" when the coupon was applied directly
    coupon_name: str
    percent_off: float | None
    amount_off: int | None
    currency: str | None
    start: datetime | None
    end: datetime | None  # None: it lasts as long as the subscription


@dataclass(frozen=True)
class Redemption:
    tenant: Tenant | None
    customer_id: str
    start: datetime | None
    end: datetime | None


def _moment(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else None


def _coupon_id(discount_data: dict) -> str | None:
    source = discount_data.get("source") or {}
    coupon = source.get("coupon") or discount_data.get("coupon")  # older API versions
    return coupon.get("id") if isinstance(coupon, dict) else coupon


def _code_id(discount_data: dict) -> str:
    code = discount_data.get("promotion_code")
    return (code.get("id") if isinstance(code, dict) else code) or ""


def tenant_discounts(*, tenant: Tenant, now: datetime) -> list[DiscountShown]:
    """The discounts on the tenant's live subscriptions that still apply at `now`."""
    customer = customer_get(tenant=tenant)
    if customer is None:
        return []
    ids = [
        discount if isinstance(discount, str) else discount.get("id")
        for subscription in Subscription.objects.filter(
            customer=customer, stripe_data__status__in=[str(status) for status in LIVE_STATUSES]
        )
        for discount in (subscription.stripe_data or {}).get("discounts") or []
    ]
    discounts = [d.stripe_data or {} for d in Discount.objects.filter(id__in=ids)]
    coupons = {c.id: c for c in Coupon.objects.filter(id__in=[_coupon_id(d) for d in discounts])}
    codes = {p.id: p.code for p in PromotionCode.objects.filter(id__in=map(_code_id, discounts))}
    shown = []
    for data in discounts:
        end = _moment(data.get("end"))
        if end is not None and end <= now:
            continue
        coupon = coupons.get(_coupon_id(data))
        shown.append(
            DiscountShown(
                discount_id=data["id"],
                code=codes.get(_code_id(data), ""),
                coupon_name=str(coupon) if coupon else _coupon_id(data) or "",
                percent_off=coupon.percent_off if coupon else None,
                amount_off=coupon.amount_off if coupon else None,
                currency=coupon.currency if coupon else None,
                start=_moment(data.get("start")),
                end=end,
            )
        )
    return shown


def promotion_code_redemptions(*, promotion_code: PromotionCode) -> list[Redemption]:
    """Each discount the code gave, with the tenant whose customer redeemed it, newest first."""
    discounts = (
        Discount.objects.filter(promotion_code=promotion_code.id)
        .select_related("customer__subscriber")
        .order_by("-created", "-djstripe_id")
    )
    return [
        Redemption(
            tenant=discount.customer.subscriber if discount.customer else None,
            customer_id=discount.customer.id if discount.customer else "",
            start=_moment((discount.stripe_data or {}).get("start")),
            end=_moment((discount.stripe_data or {}).get("end")),
        )
        for discount in discounts
    ]

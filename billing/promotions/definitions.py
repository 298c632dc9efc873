"""The coupons and promotion codes LogiNexus offers, defined once beside the plans and synced to
Stripe by `manage.py billing_sync_plans`.

A coupon's terms (amount, duration, limits) cannot change in Stripe once it exists: changing
them here makes the sync create a new coupon and move its codes onto it. Its name can change.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Duration(StrEnum):
    ONCE = "once"
    REPEATING = "repeating"
    FOREVER = "forever"


@dataclass(frozen=True)
class CouponDefinition:
    key: str  # ours, kept in the coupon's metadata: Stripe's coupon id changes when terms do
    name: str  # shown to customers on Stripe's pages and invoices (Stripe does not translate)
    duration: Duration
    percent_off: Decimal | None = None
    amount_off: int | None = None  # minor units, with `currency`
    currency: str | None = None
    duration_in_months: int | None = None
    max_redemptions: int | None = None

    def terms(self) -> dict:
        """What Stripe fixes when the coupon is created, as its API names them."""
        return {
            "percent_off": float(self.percent_off) if self.percent_off is not None else None,
            "amount_off": self.amount_off,
            "currency": self.currency,
            "duration": self.duration.value,
            "duration_in_months": self.duration_in_months,
            "max_redemptions": self.max_redemptions,
        }


@dataclass(frozen=True)
class PromotionCodeDefinition:
    code: str  # what a customer types (Stripe ignores its case)
    coupon: str  # a CouponDefinition's key
    max_redemptions: int | None = None
    first_time_transaction: bool = False
    expires_at: int | None = None  # a Unix time
    metadata: dict[str, str] = field(default_factory=dict)

    def terms(self) -> dict:
        return {
            "max_redemptions": self.max_redemptions,
            "first_time_transaction": self.first_time_transaction,
            "expires_at": self.expires_at,
        }


WELCOME20 = CouponDefinition(
    key="welcome20",
    name="Welcome: 20% off for 3 months",
    percent_off=Decimal("20"),
    duration=Duration.REPEATING,
    duration_in_months=3,
)

COUPONS: dict[str, CouponDefinition] = {coupon.key: coupon for coupon in (WELCOME20,)}
# A welcome is for new customers: a workspace that has paid before is refused the code.
WELCOME20_CODE = PromotionCodeDefinition(
    code="WELCOME20", coupon="welcome20", first_time_transaction=True
)
PROMOTION_CODES: dict[str, PromotionCodeDefinition] = {
    code.code: code for code in (WELCOME20_CODE,)
}

"""Writes of promotions: the coupons and promotion codes of definitions.py made to exist in
Stripe, idempotently (run on every deploy by `manage.py billing_sync_plans`), and synced into
dj-stripe's tables."""

from collections.abc import Iterable
from dataclasses import dataclass

from djstripe.models import Coupon, PromotionCode

from billing.promotions.definitions import (
    COUPONS,
    PROMOTION_CODES,
    CouponDefinition,
    PromotionCodeDefinition,
)
from billing.stripe import boundary

COUPON_KEY = "loginexus_coupon"


@dataclass(frozen=True)
class SyncedPromotionCode:
    code: str
    promotion_code_id: str
    coupon_id: str


def _coupon_matches(remote, definition: CouponDefinition) -> bool:
    return bool(remote.valid) and all(
        remote.get(name) == value for name, value in definition.terms().items()
    )


def _coupon_ensure(definition: CouponDefinition, remote_coupons: list):
    """The Stripe coupon of the definition. Stripe changes only a
    coupon's name and metadata: other terms changed here mean a new coupon, and the old one is
    deleted (the discounts it gave stay as they are)."""
    ours = [c for c in remote_coupons if (c.metadata or {}).get(COUPON_KEY) == definition.key]
    current = next((c for c in ours if _coupon_matches(c, definition)), None)
    for stale in (c for c in ours if c is not current):
        boundary.coupon_delete(stale.id)
        Coupon.objects.filter(id=stale.id).delete()
    if current is None:
        terms = {name: value for name, value in definition.terms().items() if value is not None}
        current = boundary.coupon_create(
            name=definition.name, metadata={COUPON_KEY: definition.key}, **terms
        )
    elif current.name != definition.name:
        current = boundary.coupon_modify(current.id, name=definition.name)
    return current


def _code_matches(remote, definition: PromotionCodeDefinition, coupon_id: str) -> bool:
    restrictions = remote.restrictions
    return (
        remote.active
        and remote.promotion.coupon == coupon_id
        and remote.max_redemptions == definition.max_redemptions
        and remote.expires_at == definition.expires_at
        and bool(restrictions.first_time_transaction) == definition.first_time_transaction
    )


def _promotion_code_ensure(definition: PromotionCodeDefinition, coupon_id: str):
    """The active Stripe promotion code of the definition on `coupon_id`. Only a code's
    `active` and metadata change in Stripe: an active code with other terms is switched off
    and a new one made (Stripe keeps one active code per text)."""
    remote = boundary.promotion_codes_list(code=definition.code)
    current = next((p for p in remote if _code_matches(p, definition, coupon_id)), None)
    for stale in (p for p in remote if p is not current):
        if stale.active:
            stale = boundary.promotion_code_modify(stale.id, active=False)
        PromotionCode.sync_from_stripe_data(stale)
    if current is not None:
        if dict(current.metadata or {}) != definition.metadata:
            current = boundary.promotion_code_modify(current.id, metadata=definition.metadata)
        return current
    fields: dict = {
        "promotion": {"type": "coupon", "coupon": coupon_id},
        "code": definition.code,
        "metadata": definition.metadata,
    }
    if definition.first_time_transaction:
        fields["restrictions"] = {"first_time_transaction": True}
    if definition.max_redemptions is not None:
        fields["max_redemptions"] = definition.max_redemptions
    if definition.expires_at is not None:
        fields["expires_at"] = definition.expires_at
    return boundary.promotion_code_create(**fields)


def promotions_sync(
    *,
    coupons: Iterable[CouponDefinition] = COUPONS.values(),
    promotion_codes: Iterable[PromotionCodeDefinition] = PROMOTION_CODES.values(),
) -> list[SyncedPromotionCode]:
    """Make every defined coupon and promotion code exist in Stripe as defined, then store
    dj-stripe's copies. Running it again changes nothing."""
    remote_coupons = boundary.coupons_list()
    in_stripe = {}
    for definition in coupons:
        coupon = _coupon_ensure(definition, remote_coupons)
        Coupon.sync_from_stripe_data(coupon)
        in_stripe[definition.key] = coupon
    synced = []
    for definition in promotion_codes:
        coupon = in_stripe[definition.coupon]
        promotion_code = _promotion_code_ensure(definition, coupon.id)
        PromotionCode.sync_from_stripe_data(promotion_code)
        synced.append(SyncedPromotionCode(definition.code, promotion_code.id, coupon.id))
    return synced


def promotion_codes_refresh(*, promotion_codes: Iterable[PromotionCode]) -> int:
    """Store Stripe's current copy of each code: its `times_redeemed` moves in Stripe only.
    Answers how many were refreshed."""
    refreshed = 0
    for promotion_code in promotion_codes:
        PromotionCode.sync_from_stripe_data(boundary.promotion_code_retrieve(promotion_code.id))
        refreshed += 1
    return refreshed

"""API handlers for coupons (``/v1/coupons``) and promotion codes (``/v1/promotion_codes``),
with the checks Stripe makes when it creates them and when a customer redeems a code."""

from __future__ import annotations

import re
import secrets
import string
from typing import TYPE_CHECKING, Any

from .errors import InvalidRequest, MissingParam
from .forms import as_bool, as_int, as_metadata, merge_metadata
from .ids import new_id, random_token
from .routing import route
from .store import deleted_stub, listing

if TYPE_CHECKING:
    from .server import Api

Params = dict[str, Any]

_CODE = re.compile(r"[A-Za-z0-9-]+")


def coupon_object(params: Params, *, created: int) -> dict[str, Any]:
    percent_off = params.get("percent_off")
    amount_off = params.get("amount_off")
    months = params.get("duration_in_months")
    applies_to = params.get("applies_to")
    return {
        "id": params.get("id") or random_token(8),
        "object": "coupon",
        "amount_off": as_int(amount_off, "amount_off") if amount_off is not None else None,
        "applies_to": {"products": list(applies_to.get("products") or [])}
        if isinstance(applies_to, dict)
        else None,
        "created": created,
        "currency": (params.get("currency") or "").lower() or None,
        "currency_options": None,
        "duration": params.get("duration") or "once",
        "duration_in_months": as_int(months, "duration_in_months") if months else None,
        "livemode": False,
        "max_redemptions": as_int(params["max_redemptions"], "max_redemptions")
        if params.get("max_redemptions")
        else None,
        "metadata": as_metadata(params.get("metadata")),
        "name": params.get("name") or None,
        "percent_off": float(percent_off) if percent_off is not None else None,
        "redeem_by": as_int(params["redeem_by"], "redeem_by") if params.get("redeem_by") else None,
        "times_redeemed": 0,
        "valid": True,
    }


def _check_coupon(coupon: dict[str, Any]) -> None:
    """Stripe's refusals of a coupon's terms."""
    if (coupon["amount_off"] is None) == (coupon["percent_off"] is None):
        raise InvalidRequest(
            "You must pass exactly one of amount_off or percent_off.", param="percent_off"
        )
    if coupon["percent_off"] is not None and not 0 < coupon["percent_off"] <= 100:
        raise InvalidRequest(
            "Invalid percent_off: must be greater than 0 and at most 100.", param="percent_off"
        )
    if coupon["amount_off"] is not None:
        if coupon["amount_off"] <= 0:
            raise InvalidRequest("Invalid amount_off: must be greater than 0.", param="amount_off")
        if coupon["currency"] is None:
            raise MissingParam("currency")
    repeating = coupon["duration"] == "repeating"
    if repeating and not coupon["duration_in_months"]:
        raise MissingParam("duration_in_months")
    if not repeating and coupon["duration_in_months"] is not None:
        raise InvalidRequest(
            "You may only specify duration_in_months when duration is `repeating`.",
            param="duration_in_months",
        )


def coupon_refresh(coupon: dict[str, Any], *, at: int) -> None:
    """A coupon stops being valid once its redeem_by has passed or its redemptions ran out."""
    ran_out = coupon["max_redemptions"] is not None and (
        coupon["times_redeemed"] >= coupon["max_redemptions"]
    )
    expired = coupon["redeem_by"] is not None and coupon["redeem_by"] <= at
    coupon["valid"] = not (ran_out or expired)


@route("POST", "/v1/coupons")
def coupon_create(api: Api, params: Params) -> dict[str, Any]:
    if params.get("id") and api.state.find("coupon", params["id"]):
        raise InvalidRequest("Coupon already exists.", code="resource_already_exists", param="id")
    at = api.billing.now()
    coupon = coupon_object(params, created=at)
    _check_coupon(coupon)
    api.state.add(coupon)
    api.billing.emit("coupon.created", coupon, at=at)
    return coupon


def _coupon(api: Api, coupon_id: str, param: str = "id") -> dict[str, Any]:
    coupon = api.state.get("coupon", coupon_id, param=param)
    coupon_refresh(coupon, at=api.billing.now())
    return coupon


@route("GET", "/v1/coupons/{coupon}")
def coupon_retrieve(api: Api, params: Params, coupon: str) -> dict[str, Any]:
    return _coupon(api, coupon)


@route("POST", "/v1/coupons/{coupon}")
def coupon_update(api: Api, params: Params, coupon: str) -> dict[str, Any]:
    """Only a coupon's name and metadata change: its terms are fixed once it exists."""
    found = _coupon(api, coupon)
    if "name" in params:
        found["name"] = params["name"] or None
    if "metadata" in params:
        found["metadata"] = merge_metadata(found["metadata"], params["metadata"])
    api.state.mark_dirty()
    api.billing.emit("coupon.updated", found, at=api.billing.now())
    return found


@route("DELETE", "/v1/coupons/{coupon}")
def coupon_delete(api: Api, params: Params, coupon: str) -> dict[str, Any]:
    """Deleting a coupon keeps the discounts made from it; no one can redeem it any more."""
    found = _coupon(api, coupon)
    found["_deleted"] = True
    for promotion_code in api.state.all("promotion_code"):
        if promotion_code["promotion"]["coupon"] == found["id"]:
            promotion_code["active"] = False
    api.state.mark_dirty()
    api.billing.emit("coupon.deleted", found, at=api.billing.now())
    return deleted_stub(found)


@route("GET", "/v1/coupons")
def coupon_list(api: Api, params: Params) -> dict[str, Any]:
    at = api.billing.now()
    for coupon in api.state.all("coupon"):
        coupon_refresh(coupon, at=at)
    return listing(api.state, "coupon", params, "/v1/coupons")


# -- promotion codes ------------------------------------------------------------------------


def _restrictions(value: Any) -> dict[str, Any]:
    value = value if isinstance(value, dict) else {}
    minimum = value.get("minimum_amount")
    return {
        "currency_options": {},
        "first_time_transaction": as_bool(
            value.get("first_time_transaction", False), "restrictions[first_time_transaction]"
        ),
        "minimum_amount": as_int(minimum, "restrictions[minimum_amount]") if minimum else None,
        "minimum_amount_currency": (value.get("minimum_amount_currency") or "").lower() or None,
    }


@route("POST", "/v1/promotion_codes")
def promotion_code_create(api: Api, params: Params) -> dict[str, Any]:
    promotion = params.get("promotion") or {}
    if not isinstance(promotion, dict) or not promotion.get("coupon"):
        raise MissingParam("promotion[coupon]")
    coupon = _coupon(api, promotion["coupon"], param="promotion[coupon]")
    if not coupon["valid"]:
        raise InvalidRequest(
            f"Coupon `{coupon['id']}` is no longer valid.", param="promotion[coupon]"
        )
    if params.get("customer"):
        api.state.get("customer", params["customer"], param="customer")
    code = params.get("code") or "".join(
        secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8)
    )
    if not _CODE.fullmatch(code):
        raise InvalidRequest(
            "Promotion codes may contain only letters, digits and dashes.", param="code"
        )
    active = as_bool(params.get("active", True), "active")
    if active and any(
        p["active"] and p["code"].lower() == code.lower() for p in api.state.all("promotion_code")
    ):
        raise InvalidRequest(
            f"An active promotion code with `code: {code}` already exists.",
            code="resource_already_exists",
            param="code",
        )
    restrictions = _restrictions(params.get("restrictions"))
    if restrictions["minimum_amount"] and not restrictions["minimum_amount_currency"]:
        raise MissingParam("restrictions[minimum_amount_currency]")
    at = api.billing.now()
    expires_at = as_int(params["expires_at"], "expires_at") if params.get("expires_at") else None
    if expires_at is not None and expires_at <= at:
        raise InvalidRequest("expires_at must be in the future.", param="expires_at")
    promotion_code = {
        "id": new_id("promo"),
        "object": "promotion_code",
        "active": active,
        "code": code,
        "created": at,
        "customer": params.get("customer"),
        "customer_account": None,
        "expires_at": expires_at,
        "livemode": False,
        "max_redemptions": as_int(params["max_redemptions"], "max_redemptions")
        if params.get("max_redemptions")
        else None,
        "metadata": as_metadata(params.get("metadata")),
        "promotion": {"coupon": coupon["id"], "type": "coupon"},
        "restrictions": restrictions,
        "times_redeemed": 0,
    }
    api.state.add(promotion_code)
    api.billing.emit("promotion_code.created", promotion_code, at=at)
    return promotion_code


@route("GET", "/v1/promotion_codes/{promotion_code}")
def promotion_code_retrieve(api: Api, params: Params, promotion_code: str) -> dict[str, Any]:
    return api.state.get("promotion_code", promotion_code)


@route("POST", "/v1/promotion_codes/{promotion_code}")
def promotion_code_update(api: Api, params: Params, promotion_code: str) -> dict[str, Any]:
    """A promotion code can be switched on and off and get metadata; nothing else changes."""
    found = api.state.get("promotion_code", promotion_code)
    if "active" in params:
        active = as_bool(params["active"], "active")
        if active and not found["active"]:
            coupon = api.state.find("coupon", found["promotion"]["coupon"])
            if coupon is None or not coupon["valid"]:
                raise InvalidRequest(
                    "This promotion code's coupon is no longer valid.", param="active"
                )
        found["active"] = active
    if "metadata" in params:
        found["metadata"] = merge_metadata(found["metadata"], params["metadata"])
    api.state.mark_dirty()
    api.billing.emit("promotion_code.updated", found, at=api.billing.now())
    return found


@route("GET", "/v1/promotion_codes")
def promotion_code_list(api: Api, params: Params) -> dict[str, Any]:
    active = as_bool(params["active"], "active") if "active" in params else None
    code = params.get("code")
    coupon = params.get("coupon")
    customer = params.get("customer")
    return listing(
        api.state,
        "promotion_code",
        params,
        "/v1/promotion_codes",
        lambda p: (
            (active is None or p["active"] == active)
            and (code is None or p["code"].lower() == code.lower())
            and (coupon is None or p["promotion"]["coupon"] == coupon)
            and (customer is None or p["customer"] == customer)
        ),
    )

"""What each resource carries and what ``expand[]`` can reach in it: the fields its stripe resource
class declares, less those Stripe leaves out unless asked (includable fields, ``deleted``, …)."""

from __future__ import annotations

import typing
from collections.abc import Iterable
from typing import Any

from .errors import InvalidRequest
from .stripe_spec import Answer, object_name, resource_class, resource_fields

# Fields Stripe includes only when ``expand[]`` names them, by object and path inside it.
INCLUDED_WHEN_EXPANDED: dict[str, frozenset[str]] = {
    "checkout.session": frozenset({"line_items", "total_details.breakdown"}),
    "customer": frozenset(
        {"cash_balance", "invoice_credit_balance", "sources", "subscriptions", "tax", "tax_ids"}
    ),
    "invoice": frozenset({"payments"}),
    "item": frozenset({"discounts", "taxes"}),
    "plan": frozenset({"tiers"}),
    "price": frozenset({"currency_options", "tiers"}),
}
# Fields only some answers carry.
ONLY_WHEN_DELETED = "deleted"
ONLY_IN_CREATE_ANSWER = {"webhook_endpoint": frozenset({"secret"})}


def included(node: dict[str, Any], key: str) -> Any:
    """The includable fields the simulator adds when expanded, beyond the server's own."""
    kind = node.get("object")
    if kind == "customer" and key == "cash_balance":
        return {
            "object": "cash_balance",
            "available": None,
            "customer": node["id"],
            "customer_account": None,
            "livemode": False,
            "settings": {"reconciliation_mode": "automatic", "using_merchant_default": True},
        }
    if kind == "customer" and key == "invoice_credit_balance":
        return {}
    if kind == "customer" and key == "tax":
        return {
            "automatic_tax": "unrecognized_location",
            "ip_address": None,
            "location": None,
            "provider": "stripe",
        }
    if kind == "plan" and key == "tiers":
        return []
    return None


def missing_fields(obj: dict[str, Any]) -> list[str]:
    """The fields of ``obj``'s resource class that ``obj`` lacks and Stripe would show."""
    kind = obj.get("object")
    cls = resource_class(kind) if isinstance(kind, str) else None
    if cls is None or obj.get("deleted"):
        return []
    exempt = INCLUDED_WHEN_EXPANDED.get(kind, frozenset()) | ONLY_IN_CREATE_ANSWER.get(
        kind, frozenset()
    )
    exempt |= {ONLY_WHEN_DELETED}
    if (
        kind == "subscription_item"
        and ((obj.get("price") or {}).get("recurring") or {}).get("usage_type") == "metered"
    ):
        exempt |= {"quantity"}  # a metered item bills usage, it has no quantity
    if kind == "payment_method":
        # A payment method carries the details of its own type only (``card``, …).
        exempt |= set(_type_values(cls)) - {obj.get("type")}
    return sorted(name for name in resource_fields(cls) if name not in obj and name not in exempt)


def _type_values(cls: type) -> Iterable[str]:
    for member in typing.get_args(cls.__annotations__["type"]):
        yield from typing.get_args(member)


# -- expand[] -------------------------------------------------------------------------------


def check_expand(answer: Answer, paths: Any) -> None:
    """Stripe's answer to ``expand[]`` of a property that is not expandable."""
    for path in paths if isinstance(paths, list) else []:
        if isinstance(path, str) and path and not _expandable(answer, path.split(".")):
            raise InvalidRequest(f"This property cannot be expanded ({path}).", param="expand")


def _expandable(answer: Answer, parts: list[str]) -> bool:
    if answer.listing:
        if parts[0] != "data" or len(parts) < 2:
            return False
        parts = parts[1:]
    return _walk([(cls, cls, "") for cls in answer.resources], parts)


def _walk(nodes: list[tuple[type, type, str]], parts: list[str]) -> bool:
    """Follow ``parts`` from each (resource, class inside it, path from the resource)."""
    segment, rest = parts[0], parts[1:]
    for resource, cls, inside in nodes:
        here = f"{inside}.{segment}" if inside else segment
        includable = here in INCLUDED_WHEN_EXPANDED.get(object_name(resource) or "", ())
        field = resource_fields(cls).get(segment)
        if field is None:
            continue
        if not rest:
            if includable or field.expandable:
                return True
            continue
        after = rest
        if field.listing:
            if rest[0] != "data" or len(rest) < 2:
                continue
            after = rest[1:]
        below = [
            (target, target, "") if object_name(target) else (resource, target, here)
            for target in field.targets
        ]
        if _walk(below, after):
            return True
    return False

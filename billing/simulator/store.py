"""The simulator's state: every Stripe object by kind, one lock, lists, expand and persistence."""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from .errors import InvalidParameter, InvalidRequest, ResourceMissing
from .forms import as_int, as_list

logger = logging.getLogger(__name__)

# The kinds of object the simulator keeps, by Stripe's ``object`` value.
KINDS = (
    "account",
    "customer",
    "product",
    "price",
    "entitlements.feature",
    "product_feature",
    "payment_method",
    "charge",
    "checkout.session",
    "billing_portal.configuration",
    "billing_portal.session",
    "subscription",
    "subscription_schedule",
    "invoice",
    "event",
    "webhook_endpoint",
    "test_helpers.test_clock",
    "tax_id",
    "tax_rate",
    "coupon",
    "promotion_code",
    "discount",
    "billing.meter",
    "billing.meter_event",
)

# How an id's prefix names its kind, so ``expand[]`` can resolve any id it meets.
PREFIX_KINDS = {
    "txr": "tax_rate",
    "acct": "account",
    "cus": "customer",
    "prod": "product",
    "price": "price",
    "feat": "entitlements.feature",
    "pm": "payment_method",
    "ch": "charge",
    "cs": "checkout.session",
    "bpc": "billing_portal.configuration",
    "bps": "billing_portal.session",
    "sub": "subscription",
    "sub_sched": "subscription_schedule",
    "in": "invoice",
    "evt": "event",
    "we": "webhook_endpoint",
    "clock": "test_helpers.test_clock",
    "txi": "tax_id",
    "promo": "promotion_code",
    "di": "discount",
    "mtr": "billing.meter",
}

HUMAN_NAMES = {
    "customer": "customer",
    "product": "product",
    "price": "price",
    "payment_method": "PaymentMethod",
    "charge": "charge",
    "checkout.session": "checkout.session",
    "billing_portal.configuration": "configuration",
    "billing_portal.session": "billing portal session",
    "subscription": "subscription",
    "subscription_schedule": "subscription schedule",
    "invoice": "invoice",
    "event": "event",
    "webhook_endpoint": "webhook endpoint",
    "test_helpers.test_clock": "test clock",
    "entitlements.feature": "feature",
    "product_feature": "product feature",
    "tax_id": "tax ID",
    "coupon": "coupon",
    "promotion_code": "promotion code",
    "billing.meter": "billing meter",
}


def public(obj: Any) -> Any:
    """A deep copy without the simulator's private keys (those starting with ``_``)."""
    if isinstance(obj, dict):
        return {key: public(value) for key, value in obj.items() if not key.startswith("_")}
    if isinstance(obj, list):
        return [public(value) for value in obj]
    return obj


class State:
    """All objects, guarded by ``lock``; every read and write of the API runs while holding it."""

    def __init__(self, state_file: str | None = None) -> None:
        self.lock = threading.RLock()
        self.state_file = state_file
        self.objects: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in KINDS}
        # Seconds added to the wall clock by ``/_sim/advance``.
        self.time_offset = 0
        self.idempotency: dict[str, dict[str, Any]] = {}
        self.settings: dict[str, Any] = {}
        # Counts additions and marked changes, so a request can tell whether it changed anything.
        self.changes = 0
        self._dirty = threading.Event()

    # -- objects ---------------------------------------------------------------------------

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["object"]][obj["id"]] = obj
        self.mark_dirty()
        return obj

    def get(self, kind: str, object_id: Any, param: str = "id") -> dict[str, Any]:
        found = self.objects[kind].get(object_id) if isinstance(object_id, str) else None
        if found is None or found.get("_deleted"):
            raise ResourceMissing(HUMAN_NAMES.get(kind, kind), str(object_id), param=param)
        return found

    def find(self, kind: str, object_id: Any) -> dict[str, Any] | None:
        if not isinstance(object_id, str):
            return None
        found = self.objects[kind].get(object_id)
        return None if found is None or found.get("_deleted") else found

    def all(self, kind: str) -> list[dict[str, Any]]:
        """Live objects of a kind, newest first, as Stripe lists them."""
        return [obj for obj in reversed(self.objects[kind].values()) if not obj.get("_deleted")]

    def resolve_id(self, object_id: str) -> dict[str, Any] | None:
        prefix = "sub_sched" if object_id.startswith("sub_sched_") else object_id.split("_", 1)[0]
        kind = PREFIX_KINDS.get(prefix)
        if kind is None:
            # Coupons' ids have no prefix (Stripe's are random, ours may be chosen).
            return self.find("coupon", object_id)
        return self.find(kind, object_id)

    # -- persistence -----------------------------------------------------------------------

    def mark_dirty(self) -> None:
        self.changes += 1
        self._dirty.set()

    def snapshot(self) -> dict[str, Any]:
        return {
            "version": 1,
            "objects": copy.deepcopy(self.objects),
            "time_offset": self.time_offset,
            "settings": copy.deepcopy(self.settings),
        }

    def restore(self, saved: dict[str, Any]) -> None:
        self.objects = {kind: dict(saved.get("objects", {}).get(kind, {})) for kind in KINDS}
        self.time_offset = int(saved.get("time_offset", 0))
        self.settings.update(saved.get("settings", {}))

    def load(self) -> bool:
        if not self.state_file or not os.path.exists(self.state_file):
            return False
        with open(self.state_file, encoding="utf-8") as handle:
            saved = json.load(handle)
        with self.lock:
            self.restore(saved)
        return True

    def save_if_dirty(self) -> None:
        if not self.state_file or not self._dirty.is_set():
            return
        with self.lock:
            self._dirty.clear()
            text = json.dumps(self.snapshot())
        # Write then rename, so a crash mid-write never leaves half a state file.
        temporary = f"{self.state_file}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, self.state_file)


def paginate(items: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
    """Stripe's cursor pagination over a newest-first list."""
    limit = as_int(params.get("limit", 10), "limit")
    if not 1 <= limit <= 100:
        raise InvalidParameter("Invalid integer: limit must be between 1 and 100", param="limit")
    ids = [item["id"] for item in items]
    starting_after = params.get("starting_after")
    ending_before = params.get("ending_before")
    if starting_after:
        if starting_after not in ids:
            raise InvalidRequest(
                f"Invalid starting_after id: {starting_after}", param="starting_after"
            )
        after = items[ids.index(starting_after) + 1 :]
        page, has_more = after[:limit], len(after) > limit
    elif ending_before:
        if ending_before not in ids:
            raise InvalidRequest(
                f"Invalid ending_before id: {ending_before}", param="ending_before"
            )
        before = items[: ids.index(ending_before)]
        page, has_more = before[-limit:], len(before) > limit
    else:
        page, has_more = items[:limit], len(items) > limit
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


def filter_created(items: Iterable[dict[str, Any]], created: Any) -> list[dict[str, Any]]:
    """``created[gte]=…`` style range filters."""
    result = list(items)
    if created in (None, ""):
        return result
    if not isinstance(created, dict):
        exact = as_int(created, "created")
        return [item for item in result if item["created"] == exact]
    checks: dict[str, Callable[[int, int], bool]] = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    for op, bound in created.items():
        if op not in checks:
            raise InvalidParameter(f"Invalid created filter: {op}", param=f"created[{op}]")
        limit = as_int(bound, f"created[{op}]")
        result = [item for item in result if checks[op](item["created"], limit)]
    return result


class Expander:
    """Replaces ids by objects along ``expand[]`` paths such as ``data.default_payment_method``."""

    def __init__(
        self,
        render: Callable[[dict[str, Any]], dict[str, Any]],
        lookup: Callable[[str], dict[str, Any] | None],
        includable: Callable[[dict[str, Any], str], Any],
    ) -> None:
        self.render = render
        self.lookup = lookup
        self.includable = includable

    def expand(self, obj: dict[str, Any], paths: Any) -> dict[str, Any]:
        for path in as_list(paths, "expand"):
            if not isinstance(path, str) or not path:
                raise InvalidRequest("Invalid expand path", param="expand")
            parts = path.split(".")
            if len(parts) > 4:
                raise InvalidRequest(
                    f"You cannot expand more than 4 levels of a property. Property: {path}",
                    param="expand",
                )
            self._expand(obj, parts, path)
        return obj

    def _expand(self, node: Any, parts: list[str], path: str) -> None:
        if isinstance(node, list):
            for element in node:
                self._expand(element, parts, path)
            return
        if not isinstance(node, dict):
            return
        key, rest = parts[0], parts[1:]
        if key not in node:
            included = self.includable(node, key)
            if included is None:
                raise InvalidRequest(f"This property cannot be expanded ({path}).", param="expand")
            node[key] = included
        value = node[key]
        if isinstance(value, str):
            node[key] = value = self._resolve(value)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            node[key] = value = [self._resolve(v) for v in value]
        if rest:
            self._expand(value, rest, path)

    def _resolve(self, object_id: str) -> Any:
        found = self.lookup(object_id)
        return object_id if found is None else self.render(found)


def listing(
    state: State, kind: str, params: dict[str, Any], url: str, keep: Any = None
) -> dict[str, Any]:
    """A list endpoint's page of `kind` (those `keep` accepts), filtered by `created`."""
    items = [item for item in state.all(kind) if keep is None or keep(item)]
    return paginate(filter_created(items, params.get("created")), params, url)


def deleted_stub(obj: dict[str, Any]) -> dict[str, Any]:
    """What Stripe answers for a deleted object."""
    return {"id": obj["id"], "object": obj["object"], "deleted": True}

"""A newer body of an object dj-stripe already stores, written in place: one UPDATE of its row
(and one of each subscription item's), of the columns that changed, when dj-stripe's sync of
that body would write nothing else, because every object it names is the one already linked.

dj-stripe's `sync_from_stripe_data` looks up every related object again (a query each, its
owner account four statements), and saves every row whole, even when only the object's JSON
moved on, as in a renewal. A body that names anything not linked yet (a new related object,
item or line, tax rates, discounts, a list with more pages) is left to it: `written_in_place`
then writes nothing and answers False. Both write the same rows (tests/billing/
test_sync_in_place.py).
"""

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone
from djstripe.models import Invoice, Subscription, SubscriptionItem
from djstripe.utils import get_id_from_stripe_data

# Columns dj-stripe keeps for itself (timestamps, its own key) or that are not Stripe's fields.
_NOT_FROM_STRIPE = ("djstripe_", "stripe_data")


class _NotInPlace(Exception):
    """dj-stripe's sync would link or store something more: leave the body to it."""


def _columns(model, data: dict[str, Any]) -> dict[str, Any]:
    """The columns dj-stripe derives from `data`, foreign keys as the ids `data` names (None
    for one `data` sets empty); a key `data` lacks is left out, as dj-stripe leaves it."""
    columns = {}
    for field in model._meta.concrete_fields:
        if field.name.startswith(_NOT_FROM_STRIPE):
            continue
        if field.is_relation:
            if field.name in data:
                columns[field.attname] = get_id_from_stripe_data(data[field.name]) or None
            continue
        value = field.stripe_to_db(data) if hasattr(field, "stripe_to_db") else data.get(field.name)
        if value is None and isinstance(field, (models.CharField, models.TextField)):
            value = ""
        columns[field.attname] = value
    return columns


@dataclass(frozen=True)
class _RowUpdate:
    model: type
    stripe_id: str
    linked: dict[str, bool]  # the foreign keys that must be set in the row
    columns: dict[str, Any]

    def run(self) -> None:
        rows = self.model.objects.filter(id=self.stripe_id, **self.linked).update(
            djstripe_updated=timezone.now(), **self.columns
        )
        if rows != 1:
            raise _NotInPlace


def _row_update(model, *, body: dict[str, Any], stored: dict[str, Any]) -> _RowUpdate:
    """The UPDATE that makes the row stored from `stored` what dj-stripe would make of `body`:
    only the columns that differ (the row was written from `stored`, so its columns are
    `stored`'s).

    A foreign key that names another object is dj-stripe's to resolve, and so is one that is
    empty in the row although `stored` names its object (dj-stripe could not store that object
    then, and would try again): such a row is not updated (`linked`)."""
    new, old = _columns(model, body), _columns(model, stored)
    relations = {field.attname: field for field in model._meta.concrete_fields if field.is_relation}
    linked = {}
    for attname in relations.keys() & new.keys():
        if new[attname] is not None and new[attname] != old.get(attname):
            raise _NotInPlace
        if new[attname] is not None:
            linked[f"{relations[attname].name}__isnull"] = False
    changed = {attname: value for attname, value in new.items() if value != old.get(attname)}
    return _RowUpdate(model, body["id"], linked, {"stripe_data": body, **changed})


def _list_items(data: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    """A list field's objects by id; a list with more pages than the body holds is not."""
    listing = data.get(key) or {}
    if listing.get("has_more"):
        raise _NotInPlace
    return {item["id"]: item for item in listing.get("data") or []}


def _ids(objects) -> list[str | None]:
    return [get_id_from_stripe_data(obj) for obj in objects or []]


def _subscription_updates(body: dict[str, Any], stored: dict[str, Any]) -> list[_RowUpdate]:
    if _ids(body.get("default_tax_rates")) != _ids(stored.get("default_tax_rates")):
        raise _NotInPlace
    updates = [_row_update(Subscription, body=body, stored=stored)]
    stored_items = _list_items(stored, "items")
    for item_id, item in _list_items(body, "items").items():
        stored_item = stored_items.get(item_id)
        if stored_item is None or _ids(item.get("tax_rates")) != _ids(stored_item.get("tax_rates")):
            raise _NotInPlace
        updates.append(_row_update(SubscriptionItem, body=item, stored=stored_item))
    return updates


def _invoice_updates(body: dict[str, Any], stored: dict[str, Any]) -> list[_RowUpdate]:
    lines = _list_items(body, "lines")
    if body.get("discounts") or not lines.keys() <= _list_items(stored, "lines").keys():
        raise _NotInPlace
    if any(isinstance(line.get("invoice_item"), dict) for line in lines.values()):
        raise _NotInPlace  # dj-stripe syncs an expanded invoice item of a line
    # dj-stripe never rewrites a line it stores: lines stored already are as it leaves them.
    return [_row_update(Invoice, body=body, stored=stored)]


_UPDATES = {Subscription: _subscription_updates, Invoice: _invoice_updates}


def written_in_place(model, *, body: dict[str, Any], stored: dict[str, Any]) -> bool:
    """Write `body` over the stored copy `stored` of the same object, when dj-stripe's sync
    would change that object's rows only; whether it did. When not, dj-stripe's sync must
    write the body, and it rewrites whatever of it was written here (only a row missing or
    unlinked, found by its UPDATE, is found out that late)."""
    updates_of = _UPDATES.get(model)
    if updates_of is None:
        return False
    try:
        for update in updates_of(body, stored):
            update.run()
    except _NotInPlace:
        return False
    return True

"""Subscription updates in the simulator: new items, prices and quantities with their
prorations, cancellation at period end, and the invoice an update makes at once."""

from __future__ import annotations

import copy
from typing import Any

from . import billing_objects, objects
from .clock import add_interval
from .currencies import price_in
from .errors import CardDeclined, InvalidParameter, InvalidRequest, MissingParam
from .events import previous_attributes
from .forms import as_bool, as_int, as_list, merge_metadata
from .invoicing import UpdatePlan
from .store import State
from .taxes import automatic_tax_param, automatic_tax_set


class Updates:
    """The update part of `lifecycle.Billing` (a mixin: it uses the state and events there)."""

    state: State

    def plan_update(
        self,
        sub: dict[str, Any],
        item_params: list[dict[str, Any]],
        *,
        at: int,
        proration_behavior: str,
    ) -> UpdatePlan:
        """Work out the new items and proration lines of an update, changing nothing."""
        current = {item["id"]: item for item in sub["items"]["data"]}
        new_items = [copy.deepcopy(item) for item in sub["items"]["data"]]
        changed: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = []
        for index, change in enumerate(item_params):
            if not isinstance(change, dict):
                raise InvalidParameter("Invalid items", param=f"items[{index}]")
            item_id = change.get("id")
            if item_id and item_id not in current:
                raise InvalidRequest(
                    f"Invalid subscription_item id: {item_id}", param=f"items[{index}][id]"
                )
            if item_id:
                old = current[item_id]
                position = next(i for i, item in enumerate(new_items) if item["id"] == item_id)
                if change.get("deleted") in ("true", True):
                    new_items.pop(position)
                    changed.append((old, None))
                    continue
                updated = copy.deepcopy(old)
                if change.get("price"):
                    price = self.recurring_price(change["price"], f"items[{index}][price]")
                    updated["price"] = copy.deepcopy(price)
                    updated["plan"] = objects.plan_from_price(price)
                if "quantity" in change:
                    if billing_objects.is_metered(updated["price"]):
                        billing_objects.raise_quantity_refused(f"items[{index}][quantity]")
                    updated["quantity"] = as_int(change["quantity"], f"items[{index}][quantity]")
                if "metadata" in change:
                    updated["metadata"] = merge_metadata(updated["metadata"], change["metadata"])
                new_items[position] = updated
                if (updated["price"]["id"], updated.get("quantity")) != (
                    old["price"]["id"],
                    old.get("quantity"),
                ):
                    changed.append((old, updated))
            else:
                if not change.get("price"):
                    raise MissingParam(f"items[{index}][price]")
                price = self.recurring_price(change["price"], f"items[{index}][price]")
                first = sub["items"]["data"][0]
                added = billing_objects.subscription_item(
                    subscription_id=sub["id"],
                    price_obj=price,
                    quantity=billing_objects.item_quantity(
                        price, change, f"items[{index}][quantity]", as_int
                    ),
                    created=at,
                    period_start=first["current_period_start"],
                    period_end=first["current_period_end"],
                    metadata=merge_metadata({}, change.get("metadata")),
                )
                new_items.append(added)
                changed.append((None, added))
        if not new_items:
            raise InvalidRequest("A subscription must have at least one item.", param="items")
        plan = UpdatePlan(items=new_items)
        first = sub["items"]["data"][0]
        start, end = first["current_period_start"], first["current_period_end"]
        old_interval = (
            first["price"]["recurring"]["interval"],
            first["price"]["recurring"]["interval_count"],
        )
        intervals = {
            (i["price"]["recurring"]["interval"], i["price"]["recurring"]["interval_count"])
            for i in new_items
        }
        if len(intervals) > 1:
            raise InvalidRequest(
                "Currency and interval fields must match across all plans on this subscription.",
                param="items",
            )
        new_interval = intervals.pop()
        for index, item in enumerate(new_items):
            price_in(self.state, item["price"], sub["currency"], param=f"items[{index}][price]")
        at = min(max(at, start), end)
        fraction = (end - at) / (end - start) if end > start else 0.0
        prorate = proration_behavior != "none" and sub["status"] != "trialing"
        if new_interval != old_interval:
            # A new interval restarts the billing cycle now: credit the unused time and
            # charge the new period in full, on an invoice right away.
            plan.resets_period = True
            plan.invoice_now = True
            plan.period_start = at
            plan.period_end = add_interval(at, *new_interval)
            if prorate:
                plan.proration_lines = [
                    self.proration_line(
                        sub,
                        item["price"],
                        item["quantity"],
                        at=at,
                        period_end=end,
                        fraction=fraction,
                        credit=True,
                    )
                    for item in sub["items"]["data"]
                    if not billing_objects.is_metered(item["price"])
                ]
            # The cycle that ends now bills its metered usage so far.
            plan.proration_lines += [
                self.item_line(sub, item, start, at)
                for item in sub["items"]["data"]
                if billing_objects.is_metered(item["price"])
            ]
            for item in new_items:
                item["current_period_start"] = plan.period_start
                item["current_period_end"] = plan.period_end
            return plan
        if prorate:
            for old, new in changed:
                # Usage is billed in arrears at the period's end: nothing to prorate.
                old = None if old is not None and billing_objects.is_metered(old["price"]) else old
                new = None if new is not None and billing_objects.is_metered(new["price"]) else new
                if old is not None:
                    plan.proration_lines.append(
                        self.proration_line(
                            sub,
                            old["price"],
                            old["quantity"],
                            at=at,
                            period_end=end,
                            fraction=fraction,
                            credit=True,
                        )
                    )
                if new is not None:
                    plan.proration_lines.append(
                        self.proration_line(
                            sub,
                            new["price"],
                            new["quantity"],
                            at=at,
                            period_end=end,
                            fraction=fraction,
                            credit=False,
                        )
                    )
        plan.invoice_now = proration_behavior == "always_invoice" and bool(plan.proration_lines)
        return plan

    def update_subscription(
        self, sub: dict[str, Any], params: dict[str, Any], *, at: int
    ) -> dict[str, Any]:
        if sub["status"] in ("canceled", "incomplete_expired") and set(params) - {
            "metadata",
            "expand",
            "cancellation_details",
        }:
            raise InvalidRequest(
                "A canceled subscription can only update its cancellation_details and metadata."
            )
        if sub["schedule"] and "cancel_at_period_end" in params:
            raise InvalidRequest(
                f"The subscription is managed by the subscription schedule `{sub['schedule']}`, "
                "and updating any cancelation behavior directly is not allowed. Please update "
                "the schedule instead.",
                param="cancel_at_period_end",
            )
        if params.get("payment_behavior") == "pending_if_incomplete":
            raise InvalidRequest(
                "Received parameter payment_behavior=pending_if_incomplete, which Stripe accepts "
                "but which is not simulated (pending updates).",
                code="parameter_unknown",
                param="payment_behavior",
            )
        customer = self.state.get("customer", sub["customer"])
        before = copy.deepcopy(sub)
        behavior = params.get("proration_behavior", "create_prorations")
        if behavior not in ("create_prorations", "none", "always_invoice"):
            raise InvalidParameter(
                f"Invalid proration_behavior: {behavior}", param="proration_behavior"
            )
        proration_at = as_int(params.get("proration_date", at), "proration_date")
        plan = None
        if params.get("items"):
            plan = self.plan_update(
                sub, as_list(params["items"], "items"), at=proration_at, proration_behavior=behavior
            )
            if plan.invoice_now and params.get("payment_behavior") == "error_if_incomplete":
                pm = self.charging_method(sub, customer)
                if not self.would_succeed(pm, None):
                    raise CardDeclined(payment_method=pm and pm["id"])
        if "automatic_tax" in params:
            automatic_tax_set(sub, customer, automatic_tax_param(params["automatic_tax"]))
        if "default_payment_method" in params:
            pm_ref = params["default_payment_method"]
            sub["default_payment_method"] = (
                self.payment_method_for(pm_ref, customer, at=at, param="default_payment_method")[
                    "id"
                ]
                if pm_ref
                else None
            )
        if "metadata" in params:
            sub["metadata"] = merge_metadata(sub["metadata"], params["metadata"])
        if "cancel_at_period_end" in params:
            self._set_cancel_at_period_end(
                sub, as_bool(params["cancel_at_period_end"], "cancel_at_period_end"), at=at
            )
        if "description" in params:
            sub["description"] = params["description"] or None
        pending_emits: list[tuple[str, dict[str, Any]]] = []
        if plan is not None:
            sub["items"]["data"] = plan.items
            sub["items"]["total_count"] = len(plan.items)
            if plan.resets_period:
                sub["billing_cycle_anchor"] = plan.period_start
                if sub["cancel_at_period_end"]:
                    sub["cancel_at"] = plan.period_end
            if plan.invoice_now:
                lines = list(sub["_pending_items"]) + plan.proration_lines
                sub["_pending_items"] = []
                if plan.resets_period:
                    lines += [
                        self.item_line(sub, item, plan.period_start, plan.period_end)
                        for item in plan.items
                    ]
                invoice = self.new_invoice(
                    customer,
                    sub,
                    "subscription_update",
                    lines,
                    at=at,
                    period_start=at,
                    period_end=at,
                )
                pending_emits.append(("invoice", invoice))
            else:
                sub["_pending_items"].extend(plan.proration_lines)
        changes = previous_attributes(before, sub)
        if changes:
            # Stripe sends no event for an update that changed nothing.
            self.emit("customer.subscription.updated", sub, at=at, previous=changes)
        for _, invoice in pending_emits:
            paid = self.open_and_collect(invoice, customer, sub, at=at, outcome=None, retries=True)
            if not paid and sub["status"] == "active":
                self._set_status(sub, "past_due", at=at)
        self.state.mark_dirty()
        return sub

    def _set_cancel_at_period_end(self, sub: dict[str, Any], value: bool, *, at: int) -> None:
        if sub["cancel_at_period_end"] == value:
            return
        sub["cancel_at_period_end"] = value
        if value:
            sub["cancel_at"] = self.period_end(sub)
            sub["canceled_at"] = at
            sub["cancellation_details"]["reason"] = "cancellation_requested"
        else:
            sub["cancel_at"] = None
            sub["canceled_at"] = None
            sub["cancellation_details"]["reason"] = None

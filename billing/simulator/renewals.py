"""Time passing in the simulator: renewals at period ends, payment retries, expiry of
incomplete subscriptions, and previews of what a change would invoice."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from . import billing_objects
from .clock import add_interval
from .ids import new_id
from .invoicing import Outcome, UpdatePlan
from .store import State

# Statuses in which Stripe keeps billing a subscription at each period end.
RENEWING_STATUSES = ("active", "trialing", "past_due")
INCOMPLETE_EXPIRES_AFTER = 23 * 3600
# Stripe announces a trial's end (customer.subscription.trial_will_end) three days before it.
TRIAL_WILL_END_BEFORE = 3 * 86400


class Renewals:
    """The time part of `lifecycle.Billing` (a mixin: it uses the state and events there)."""

    state: State

    # -- time passing ----------------------------------------------------------------------

    def _on_clock(self, customer_id: str, clock_id: str | None) -> bool:
        """Whether a live customer's objects move with this clock (a deleted customer's
        subscriptions are canceled and its drafts gone: nothing of theirs is due)."""
        customer = self.state.objects["customer"].get(customer_id)
        return (
            customer is not None
            and not customer.get("_deleted")
            and customer["test_clock"] == clock_id
        )

    def _next_action(
        self, clock_id: str | None, target: int
    ) -> tuple[int, str, dict[str, Any] | None, dict[str, Any] | None] | None:
        best: tuple[int, str, dict[str, Any] | None, dict[str, Any] | None] | None = None

        def consider(
            when: int, kind: str, sub: dict[str, Any] | None, invoice: dict[str, Any] | None = None
        ) -> None:
            nonlocal best
            if when <= target and (best is None or when < best[0]):
                best = (when, kind, sub, invoice)

        invoices = [
            invoice
            for invoice in self.state.all("invoice")
            if invoice["status"] in ("draft", "open")
            and self._on_clock(invoice["customer"], clock_id)
        ]
        for invoice in invoices:
            # Stripe finalizes a draft with automatic advancement about an hour after it made it.
            if invoice["status"] == "draft" and invoice["automatically_finalizes_at"]:
                consider(invoice["automatically_finalizes_at"], "finalize", None, invoice)
        for sub in self.state.all("subscription"):
            if not self._on_clock(sub["customer"], clock_id):
                continue
            status = sub["status"]
            if status == "incomplete":
                consider(sub["created"] + INCOMPLETE_EXPIRES_AFTER, "expire", sub)
            if status == "trialing" and sub["trial_end"] and not sub.get("_trial_will_end_sent"):
                consider(sub["trial_end"] - TRIAL_WILL_END_BEFORE, "trial_will_end", sub)
            if status in RENEWING_STATUSES:
                end = self.period_end(sub)
                consider(end, "cancel" if sub["cancel_at_period_end"] else "renew", sub)
                if sub["cancel_at"] and not sub["cancel_at_period_end"]:
                    consider(sub["cancel_at"], "cancel", sub)
            if status == "past_due":
                for invoice in invoices:
                    parent = invoice["parent"] or {}
                    if (
                        invoice["status"] == "open"
                        and invoice["next_payment_attempt"]
                        and (parent.get("subscription_details") or {}).get("subscription")
                        == sub["id"]
                    ):
                        consider(invoice["next_payment_attempt"], "retry", sub, invoice)
        return best

    def run_until(
        self,
        target: int,
        *,
        clock_id: str | None,
        outcome: Outcome,
        set_time: Callable[[int], None],
    ) -> None:
        """Play every renewal, finalization, retry and cancellation due up to ``target``, in
        time order."""
        while True:
            action = self._next_action(clock_id, target)
            if action is None:
                break
            when, kind, sub, invoice = action
            set_time(when)
            if kind == "renew" and sub is not None:
                self.renew(sub, at=when)
            elif kind == "finalize" and invoice is not None:
                self.finalize_now(invoice, at=when, outcome=outcome)
            elif kind == "cancel" and sub is not None:
                self.cancel_subscription(sub, at=when, reason="cancellation_requested")
            elif kind == "retry" and invoice is not None:
                self.pay_open_invoice(invoice, at=when, outcome=outcome)
            elif kind == "expire" and sub is not None:
                self._expire_incomplete(sub, at=when)
            elif kind == "trial_will_end" and sub is not None:
                sub["_trial_will_end_sent"] = True
                self.emit("customer.subscription.trial_will_end", sub, at=when)
        set_time(target)

    def _expire_incomplete(self, sub: dict[str, Any], *, at: int) -> None:
        invoice = self.state.find("invoice", sub["latest_invoice"])
        if invoice is not None and invoice["status"] == "open":
            invoice["status"] = "void"
            invoice["status_transitions"]["voided_at"] = at
            self.emit("invoice.voided", invoice, at=at)
        sub["ended_at"] = at
        self._set_status(sub, "incomplete_expired", at=at)

    # -- previews --------------------------------------------------------------------------

    def preview(
        self,
        sub: dict[str, Any],
        item_params: list[dict[str, Any]],
        *,
        at: int,
        proration_behavior: str,
    ) -> dict[str, Any]:
        """The invoice an update would produce: now if it invoices at once, else the next."""
        customer = self.state.get("customer", sub["customer"])
        plan = (
            self.plan_update(sub, item_params, at=at, proration_behavior=proration_behavior)
            if item_params
            else UpdatePlan(items=copy.deepcopy(sub["items"]["data"]))
        )
        pending = copy.deepcopy(sub["_pending_items"])
        if plan.invoice_now:
            lines = pending + plan.proration_lines
            if plan.resets_period:
                lines += [
                    self.item_line(sub, item, plan.period_start, plan.period_end)
                    for item in plan.items
                ]
            reason, start, end = "subscription_update", at, at
        else:
            lines = pending + plan.proration_lines
            for item in plan.items:
                recurring = item["price"]["recurring"]
                begins = item["current_period_end"]
                if billing_objects.is_metered(item["price"]):  # this period's usage so far
                    lines.append(self.item_line(sub, item, item["current_period_start"], begins))
                    continue
                lines.append(
                    self.item_line(
                        sub,
                        item,
                        begins,
                        add_interval(begins, recurring["interval"], recurring["interval_count"]),
                    )
                )
            reason = "upcoming"
            start = sub["items"]["data"][0]["current_period_start"]
            end = sub["items"]["data"][0]["current_period_end"]
        invoice = self.new_invoice(
            customer,
            sub,
            reason,
            lines,
            at=at,
            period_start=start,
            period_end=end,
            invoice_id="upcoming_in_" + new_id("in")[3:],
        )
        invoice["billing_reason"] = "subscription_update" if plan.invoice_now else "upcoming"
        if not plan.invoice_now:
            invoice["next_payment_attempt"] = end
            invoice["created"] = end
        invoice["subscription_proration_date"] = at
        # The current API names it under the parent (the old top-level key is kept too).
        invoice["parent"]["subscription_details"]["subscription_proration_date"] = at
        return invoice

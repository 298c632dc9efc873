"""Subscription schedules in the simulator: a schedule made from a subscription, its phases set,
released or canceled, and the moment a phase ends, when the next one's prices take over the
subscription at its renewal (or the schedule completes, by its `end_behavior`)."""

from __future__ import annotations

import copy
from typing import Any

from . import billing_objects, objects
from .clock import add_interval
from .errors import InvalidParameter, InvalidRequest, MissingParam
from .events import previous_attributes
from .forms import as_int, as_list, merge_metadata
from .ids import new_id
from .store import State

END_BEHAVIORS = ("release", "cancel")
PRORATION_BEHAVIORS = ("always_invoice", "create_prorations", "none")
LIVE = ("not_started", "active")


def _settings(sub: dict[str, Any]) -> dict[str, Any]:
    return {
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": "automatic",
        "billing_thresholds": None,
        "collection_method": sub["collection_method"],
        "default_payment_method": sub["default_payment_method"],
        "description": sub["description"],
        "invoice_settings": {
            "account_tax_ids": None,
            "custom_fields": None,
            "days_until_due": None,
            "description": None,
            "footer": None,
            "issuer": {"type": "self"},
        },
        "on_behalf_of": None,
        "transfer_data": None,
    }


def _phase(*, currency: str, items: list[dict[str, Any]], start: int, end: int, proration: str):
    return {
        "add_invoice_items": [],
        "application_fee_percent": None,
        "automatic_tax": None,
        "billing_cycle_anchor": None,
        "billing_thresholds": None,
        "collection_method": None,
        "currency": currency,
        "default_payment_method": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "end_date": end,
        "invoice_settings": None,
        "items": items,
        "metadata": {},
        "on_behalf_of": None,
        "proration_behavior": proration,
        "start_date": start,
        "transfer_data": None,
        "trial_end": None,
    }


def _phase_item(price_id: str, quantity: int | None, metadata: dict[str, str]) -> dict[str, Any]:
    return {
        "billing_thresholds": None,
        "discounts": [],
        "metadata": metadata,
        "plan": price_id,
        "price": price_id,
        "quantity": quantity,
        "tax_rates": [],
    }


class Schedules:
    """The schedule part of `lifecycle.Billing` (a mixin: it uses the state and events there)."""

    state: State

    def create_schedule_from(self, sub: dict[str, Any], *, at: int) -> dict[str, Any]:
        """A schedule whose one phase is the subscription's current period, as it is."""
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise InvalidRequest(
                "You cannot migrate a canceled subscription to a subscription schedule.",
                param="from_subscription",
            )
        if sub["schedule"]:
            raise InvalidRequest(
                "You cannot migrate a subscription that is already attached to a schedule: "
                f"`{sub['schedule']}`.",
                param="from_subscription",
            )
        first = sub["items"]["data"][0]
        phase = _phase(
            currency=sub["currency"],
            items=[
                _phase_item(item["price"]["id"], item.get("quantity"), dict(item["metadata"]))
                for item in sub["items"]["data"]
            ],
            start=first["current_period_start"],
            end=first["current_period_end"],
            proration="create_prorations",
        )
        schedule = {
            "id": new_id("sub_sched"),
            "object": "subscription_schedule",
            "application": None,
            "billing_mode": {"flexible": None, "type": "classic", "updated_at": None},
            "canceled_at": None,
            "completed_at": None,
            "created": at,
            "current_phase": {"end_date": phase["end_date"], "start_date": phase["start_date"]},
            "customer": sub["customer"],
            "customer_account": None,
            "default_settings": _settings(sub),
            "end_behavior": "release",
            "livemode": False,
            "metadata": {},
            "phases": [phase],
            "released_at": None,
            "released_subscription": None,
            "status": "active",
            "subscription": sub["id"],
            "test_clock": sub["test_clock"],
        }
        self.state.add(schedule)
        self.emit("subscription_schedule.created", schedule, at=at)
        self._set_schedule(sub, schedule["id"], at=at)
        return schedule

    def update_schedule(
        self, schedule: dict[str, Any], params: dict[str, Any], *, at: int
    ) -> dict[str, Any]:
        if schedule["status"] not in LIVE:
            raise InvalidRequest(
                f"You cannot update a subscription schedule that is {schedule['status']}.",
            )
        before = copy.deepcopy(schedule)
        if "end_behavior" in params:
            if params["end_behavior"] not in END_BEHAVIORS:
                raise InvalidRequest(
                    "The simulator's schedules end by `release` or `cancel` only.",
                    param="end_behavior",
                )
            schedule["end_behavior"] = params["end_behavior"]
        if "metadata" in params:
            schedule["metadata"] = merge_metadata(schedule["metadata"], params["metadata"])
        if "phases" in params:
            schedule["phases"] = self._phases(schedule, as_list(params["phases"], "phases"), at=at)
            current = schedule["phases"][0]
            schedule["current_phase"] = {
                "end_date": current["end_date"],
                "start_date": current["start_date"],
            }
        changes = previous_attributes(before, schedule)
        if changes:
            self.emit("subscription_schedule.updated", schedule, at=at, previous=changes)
        self.state.mark_dirty()
        return schedule

    def _phases(
        self, schedule: dict[str, Any], given: list[Any], *, at: int
    ) -> list[dict[str, Any]]:
        """The phases as given, checked as Stripe checks them: the current phase keeps its
        start, each phase begins where the one before ends, each has its prices."""
        if not given:
            raise InvalidRequest("A subscription schedule must have at least one phase.")
        current = schedule["current_phase"]
        phases: list[dict[str, Any]] = []
        start = current["start_date"] if current else at
        for index, phase in enumerate(given):
            param = f"phases[{index}]"
            if not isinstance(phase, dict):
                raise InvalidParameter("Invalid object", param=param)
            if "start_date" in phase:
                given_start = at if phase["start_date"] == "now" else None
                given_start = given_start or as_int(phase["start_date"], f"{param}[start_date]")
                if index == 0 and current and given_start != current["start_date"]:
                    raise InvalidRequest(
                        "You can not modify the start date of the current phase.",
                        param=f"{param}[start_date]",
                    )
                if index > 0 and given_start != start:
                    raise InvalidRequest(
                        "The start date of a phase must be the end date of the phase before it.",
                        param=f"{param}[start_date]",
                    )
                start = given_start
            items = self._phase_items(phase.get("items"), param)
            proration = phase.get("proration_behavior", "create_prorations")
            if proration not in PRORATION_BEHAVIORS:
                raise InvalidParameter(
                    f"Invalid {param}[proration_behavior]", param=f"{param}[proration_behavior]"
                )
            end = self._phase_end(phase, items, start=start, param=param, at=at)
            first_price = self.state.get("price", items[0]["price"])
            phases.append(
                _phase(
                    currency=first_price["currency"],
                    items=items,
                    start=start,
                    end=end,
                    proration=proration,
                )
            )
            phases[-1]["metadata"] = merge_metadata({}, phase.get("metadata"))
            start = end
        if phases[0]["end_date"] <= at:
            raise InvalidRequest(
                "The current phase must end in the future.", param="phases[0][end_date]"
            )
        return phases

    def _phase_items(self, given: Any, param: str) -> list[dict[str, Any]]:
        items = as_list(given, f"{param}[items]")
        if not items:
            raise MissingParam(f"{param}[items]")
        found = []
        for index, item in enumerate(items):
            where = f"{param}[items][{index}]"
            if not isinstance(item, dict) or not item.get("price"):
                raise MissingParam(f"{where}[price]")
            price = self.recurring_price(item["price"], f"{where}[price]")
            quantity = billing_objects.item_quantity(price, item, f"{where}[quantity]", as_int)
            found.append(
                _phase_item(price["id"], quantity, merge_metadata({}, item.get("metadata")))
            )
        return found

    def _phase_end(
        self, phase: dict[str, Any], items: list[dict[str, Any]], *, start: int, param: str, at: int
    ) -> int:
        if "end_date" in phase and "duration" in phase:
            raise InvalidRequest(
                "You may only specify one of these parameters: duration, end_date.",
                param=f"{param}[end_date]",
            )
        if "end_date" in phase:
            end = (
                at
                if phase["end_date"] == "now"
                else as_int(phase["end_date"], f"{param}[end_date]")
            )
        elif "duration" in phase:
            duration = phase["duration"]
            if not isinstance(duration, dict) or "interval" not in duration:
                raise MissingParam(f"{param}[duration][interval]")
            count = as_int(duration.get("interval_count", 1), f"{param}[duration][interval_count]")
            end = add_interval(start, duration["interval"], count)
        else:
            # Without an end, a phase lasts one billing period of its prices.
            recurring = self.state.get("price", items[0]["price"])["recurring"]
            end = add_interval(start, recurring["interval"], recurring["interval_count"])
        if end <= start:
            raise InvalidRequest(
                "The end date of a phase must be after its start date.", param=f"{param}[end_date]"
            )
        return end

    def release_schedule(
        self, schedule: dict[str, Any], *, at: int, status: str = "released"
    ) -> dict[str, Any]:
        """The schedule lets go of its subscription, which goes on as it is now."""
        if schedule["status"] not in LIVE:
            raise InvalidRequest(
                f"You cannot release a subscription schedule that is currently in the "
                f"`{schedule['status']}` status. It must be in `not_started` or `active`.",
            )
        sub = self.state.find("subscription", schedule["subscription"])
        schedule["status"] = status
        schedule["current_phase"] = None
        if status == "released":
            schedule["released_at"] = at
            schedule["released_subscription"] = schedule["subscription"]
            schedule["subscription"] = None
        else:
            schedule["completed_at"] = at
        event = "released" if status == "released" else "completed"
        self.emit(f"subscription_schedule.{event}", schedule, at=at)
        if sub is not None:
            self._set_schedule(sub, None, at=at)
        self.state.mark_dirty()
        return schedule

    def cancel_schedule(self, schedule: dict[str, Any], *, at: int) -> dict[str, Any]:
        """The schedule ends and its subscription is canceled now."""
        if schedule["status"] not in LIVE:
            raise InvalidRequest(
                f"You cannot cancel a subscription schedule that is currently in the "
                f"`{schedule['status']}` status. It must be in `not_started` or `active`.",
            )
        sub = self.state.find("subscription", schedule["subscription"])
        schedule["status"] = "canceled"
        schedule["canceled_at"] = at
        schedule["current_phase"] = None
        self.emit("subscription_schedule.canceled", schedule, at=at)
        if sub is not None and sub["status"] not in ("canceled", "incomplete_expired"):
            sub["schedule"] = None
            self.cancel_subscription(sub, at=at, reason="cancellation_requested")
        self.state.mark_dirty()
        return schedule

    def _set_schedule(self, sub: dict[str, Any], schedule_id: str | None, *, at: int) -> None:
        before = copy.deepcopy(sub)
        sub["schedule"] = schedule_id
        self.emit(
            "customer.subscription.updated", sub, at=at, previous=previous_attributes(before, sub)
        )

    # -- time passing ----------------------------------------------------------------------

    def schedule_of(self, sub: dict[str, Any]) -> dict[str, Any] | None:
        schedule = self.state.find("subscription_schedule", sub.get("schedule"))
        return schedule if schedule is not None and schedule["status"] in LIVE else None

    def phase_ends(self, sub: dict[str, Any]) -> int | None:
        """When the schedule's current phase ends, if the subscription follows one."""
        schedule = self.schedule_of(sub)
        return schedule["current_phase"]["end_date"] if schedule else None

    def enter_next_phase(self, sub: dict[str, Any], *, at: int) -> bool:
        """The current phase has ended at ``at``: the next phase's prices take over the
        subscription (before its renewal invoices them), or the schedule ends by its
        `end_behavior`. Whether the subscription goes on (is still to be renewed)."""
        schedule = self.schedule_of(sub)
        if schedule is None:
            return True
        upcoming = [phase for phase in schedule["phases"] if phase["start_date"] >= at]
        if not upcoming:
            if schedule["end_behavior"] == "cancel":
                schedule["status"] = "completed"
                schedule["completed_at"] = at
                schedule["current_phase"] = None
                self.emit("subscription_schedule.completed", schedule, at=at)
                sub["schedule"] = None
                self.cancel_subscription(sub, at=at, reason="cancellation_requested")
                return False
            self.release_schedule(schedule, at=at, status="completed")
            return True
        phase = upcoming[0]
        before_schedule = copy.deepcopy(schedule)
        schedule["current_phase"] = {
            "end_date": phase["end_date"],
            "start_date": phase["start_date"],
        }
        items = sub["items"]["data"]
        for index, wanted in enumerate(phase["items"]):
            price = self.state.get("price", wanted["price"])
            if index < len(items):
                item = items[index]
            else:
                item = copy.deepcopy(items[0])
                item["id"] = new_id("si")
                items.append(item)
            item["price"] = copy.deepcopy(price)
            item["plan"] = objects.plan_from_price(price)
            if wanted["quantity"] is None:
                item.pop("quantity", None)
            else:
                item["quantity"] = wanted["quantity"]
        del items[len(phase["items"]) :]
        sub["items"]["total_count"] = len(items)
        self.emit(
            "subscription_schedule.updated",
            schedule,
            at=at,
            previous=previous_attributes(before_schedule, schedule),
        )
        return True

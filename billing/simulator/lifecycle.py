"""Subscriptions in the simulator: payment methods, start, pay, cancel, renew; updates, invoices
and the passing of time come from the `updates`, `invoicing` and `renewals` mixins."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from . import billing_objects, cards, objects
from .clock import add_interval, system_time
from .currencies import customer_currency_check, price_in
from .discounts import in_effect
from .errors import CardDeclined, InvalidRequest, MissingParam, StripeApiError
from .events import EventLog, HeldEvent, previous_attributes
from .forms import as_int
from .ids import new_id
from .invoicing import Invoicing, Outcome
from .renewals import Renewals
from .schedules import Schedules
from .store import State
from .taxes import automatic_tax_on, tax_location_check
from .updates import Updates


class NoPaymentMethod(StripeApiError):
    """Stripe's answer to a subscription that must charge a customer who has no way to pay."""

    status = 400

    def __init__(self) -> None:
        super().__init__(
            "This customer has no attached payment source or default payment method. Please "
            "consider adding a default payment method. For more information, visit "
            "https://stripe.com/docs/billing/subscriptions/payment-methods-setting"
            "#payment-method-priority.",
            code="resource_missing",
        )


class Billing(Invoicing, Renewals, Schedules, Updates):
    """Subscriptions and invoices through time, over the simulator's state and event log."""

    def __init__(self, state: State, events: EventLog, base_url: Callable[[], str]) -> None:
        self.state = state
        self.events = events
        self.base_url = base_url

    # -- time ------------------------------------------------------------------------------

    def now(self, customer_id: str | None = None) -> int:
        clock_id = None
        if customer_id:
            customer = self.state.find("customer", customer_id)
            clock_id = customer and customer["test_clock"]
        if clock_id:
            clock = self.state.find("test_helpers.test_clock", clock_id)
            if clock is not None:
                return clock["frozen_time"]
        return system_time(self.state.time_offset)

    def emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        at: int,
        previous: dict[str, Any] | None = None,
    ) -> None:
        self.events.emit(event_type, copy.deepcopy(obj), created=at, previous=previous)

    # -- payment methods -------------------------------------------------------------------

    def payment_method_for(
        self,
        reference: Any,
        customer: dict[str, Any] | None,
        *,
        at: int,
        param: str,
        attach: bool = True,
    ) -> dict[str, Any]:
        """A payment method by id, test id (``pm_card_visa``) or token, attached to ``customer``
        unless ``attach`` is false. Attaching a card that Stripe refuses is a card error."""
        if not isinstance(reference, str) or not reference:
            raise InvalidRequest("Invalid payment method", param=param)
        test_card = cards.TEST_TOKENS.get(reference, reference)
        if test_card in cards.TEST_CARDS:
            refusal = self.attach_refusal(test_card)
            if attach and customer is not None and refusal is not None:
                raise CardDeclined(decline=refusal)
            pm = self.state.add(
                objects.payment_method(created=at, test_card=test_card, customer_id=None)
            )
        else:
            pm = self.state.get("payment_method", reference, param=param)
        if attach and customer is not None and pm["customer"] != customer["id"]:
            if pm["customer"] is not None:
                raise InvalidRequest(
                    f"The payment method you provided has already been attached to a "
                    f"customer: {pm['id']}.",
                    param=param,
                )
            self.attach(pm, customer, at=at)
        return pm

    def attach_refusal(self, reference: Any) -> tuple[str, str, str] | None:
        """How Stripe refuses to attach this card, if it does: it checks a card when it is
        attached, and the declining test cards fail then (``pm_card_chargeCustomerFail`` is
        the one that attaches and fails its charges)."""
        if not isinstance(reference, str):
            return None
        card = cards.TEST_CARDS.get(cards.TEST_TOKENS.get(reference, reference))
        if card is not None:
            return card["decline"] if card["attach_declines"] else None
        found = self.state.find("payment_method", reference)
        return found.get("_decline") if found and found.get("_attach_declines") else None

    def paying_method(
        self, reference: Any, customer: dict[str, Any], *, at: int, param: str
    ) -> dict[str, Any]:
        """The card a payment is made with: attached to the customer if Stripe would attach
        it, else used once, so that its decline is the payment's."""
        attach = self.attach_refusal(reference) is None
        return self.payment_method_for(reference, customer, at=at, param=param, attach=attach)

    def attach(self, pm: dict[str, Any], customer: dict[str, Any], *, at: int) -> None:
        refusal = self.attach_refusal(pm["id"])
        if refusal is not None:
            raise CardDeclined(decline=refusal)
        pm["customer"] = customer["id"]
        self.state.mark_dirty()
        self.emit("payment_method.attached", pm, at=at)

    def set_default_payment_method(
        self, customer: dict[str, Any], pm_id: str | None, *, at: int
    ) -> None:
        before = copy.deepcopy(customer)
        customer["invoice_settings"]["default_payment_method"] = pm_id
        self.emit(
            "customer.updated", customer, at=at, previous=previous_attributes(before, customer)
        )

    def charging_method(
        self, sub: dict[str, Any] | None, customer: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Stripe charges the subscription's default method, else the customer's (its default
        payment method, else the card given as its ``source``)."""
        pm_id = (
            (sub or {}).get("default_payment_method")
            or customer["invoice_settings"]["default_payment_method"]
            or customer.get("_source_payment_method")
        )
        return self.state.find("payment_method", pm_id) if pm_id else None

    def invoice_charging_method(self, invoice: dict[str, Any]) -> dict[str, Any] | None:
        """The method Stripe charges for an invoice: its subscription's or its customer's."""
        customer = self.state.get("customer", invoice["customer"])
        sub_id = ((invoice["parent"] or {}).get("subscription_details") or {}).get("subscription")
        return self.charging_method(self.state.find("subscription", sub_id), customer)

    @staticmethod
    def would_succeed(pm: dict[str, Any] | None, outcome: Outcome) -> bool:
        if outcome == "succeed":
            return True
        if outcome == "fail":
            return False
        return pm is not None and not pm["_declines"]

    # -- subscriptions ---------------------------------------------------------------------

    def recurring_price(self, price_id: Any, param: str) -> dict[str, Any]:
        price = self.state.get("price", price_id, param=param)
        if not price["recurring"]:
            raise InvalidRequest(
                f"The price specified is set to `type=one_time` but this field only accepts "
                f"prices with `type=recurring`: {price_id}",
                param=param,
            )
        if not price["active"]:
            raise InvalidRequest(f"The price specified is inactive: {price_id}", param=param)
        return price

    def create_subscription(
        self,
        customer: dict[str, Any],
        item_params: list[dict[str, Any]],
        *,
        at: int,
        default_payment_method: str | None,
        metadata: dict[str, str],
        trial_days: int | None,
        payment_behavior: str,
        outcome: Outcome = None,
        subscription_id: str | None = None,
        cancel_at_period_end: bool = False,
        pending: list[HeldEvent] | None = None,
        discounts: list[str] | None = None,
        trial_end_behavior: str = "create_invoice",
        save_default_payment_method: str = "off",
        currency: str | None = None,
        automatic_tax: bool = False,
    ) -> dict[str, Any]:
        """Start a subscription and collect its first invoice.

        It charges in ``currency`` (one of its prices' currency options; by default the first
        price's own currency), the only one a customer's live subscriptions may share; with
        ``automatic_tax`` its invoices carry the tax Stripe Tax would compute (taxes.py).

        Events are returned into ``pending`` when given, so Checkout can put its own
        ``checkout.session.completed`` before them, in the order Stripe sends them.
        """
        if not item_params:
            raise MissingParam("items")
        prices = []
        for index, item in enumerate(item_params):
            if not isinstance(item, dict) or not item.get("price"):
                raise MissingParam(f"items[{index}][price]")
            price = self.recurring_price(item["price"], f"items[{index}][price]")
            prices.append(
                (
                    price,
                    billing_objects.item_quantity(price, item, f"items[{index}][quantity]", as_int),
                )
            )
        intervals = {
            (p["recurring"]["interval"], p["recurring"]["interval_count"]) for p, _ in prices
        }
        if len(intervals) > 1:
            raise InvalidRequest(
                "Currency and interval fields must match across all plans on this subscription.",
                param="items",
            )
        interval, count = intervals.pop()
        currency = str(currency or prices[0][0]["currency"]).lower()
        charged = [
            price_in(self.state, price, currency, param=f"items[{index}][price]")
            for index, (price, _) in enumerate(prices)
        ]
        customer_currency_check(self.state, customer, currency)
        if automatic_tax:
            tax_location_check(customer)
        pm = self.charging_method({"default_payment_method": default_payment_method}, customer)
        due = sum(
            price["unit_amount"] * (quantity or 0)
            for price, (_, quantity) in zip(charged, prices, strict=True)
        )
        if (
            pm is None
            and not trial_days
            and due + customer["balance"] > 0
            and payment_behavior != "default_incomplete"
        ):
            # Stripe refuses to start a subscription it is told to charge at once with nothing
            # to charge; default_incomplete leaves the first invoice open for a method instead.
            raise NoPaymentMethod()
        if (
            payment_behavior == "error_if_incomplete"
            and not trial_days
            and not self.would_succeed(pm, outcome)
        ):
            raise CardDeclined(payment_method=pm and pm["id"], decline=pm and pm.get("_decline"))
        sub = billing_objects.subscription(
            subscription_id=subscription_id or new_id("sub"),
            customer_id=customer["id"],
            created=at,
            currency=currency,
            default_payment_method=default_payment_method,
            metadata=metadata,
            test_clock=customer["test_clock"],
        )
        sub["discounts"] = list(discounts or [])
        if automatic_tax:
            sub["automatic_tax"] = automatic_tax_on()
        period_end = at + trial_days * 86400 if trial_days else add_interval(at, interval, count)
        for price, quantity in prices:
            sub["items"]["data"].append(
                billing_objects.subscription_item(
                    subscription_id=sub["id"],
                    price_obj=price,
                    quantity=quantity,
                    created=at,
                    period_start=at,
                    period_end=period_end,
                )
            )
        sub["items"]["total_count"] = len(sub["items"]["data"])
        sub["trial_settings"]["end_behavior"]["missing_payment_method"] = trial_end_behavior
        sub["payment_settings"]["save_default_payment_method"] = save_default_payment_method
        if cancel_at_period_end:
            sub["cancel_at_period_end"] = True
            sub["cancel_at"] = period_end
        # No live subscription charges in another currency (checked above): this one is now
        # the customer's.
        customer["currency"] = currency
        self.state.add(sub)

        with self.events.held() as outbox:
            if trial_days:
                sub["trial_start"], sub["trial_end"] = at, period_end
                lines = [self.item_line(sub, item, at, period_end) for item in sub["items"]["data"]]
                for line in lines:
                    line["amount"] = line["subtotal"] = 0
                    line["description"] = f"Trial period for {line['description'].split(' (')[0]}"
                invoice = self.new_invoice(
                    customer,
                    sub,
                    "subscription_create",
                    lines,
                    at=at,
                    period_start=at,
                    period_end=at,
                )
                self.open_and_collect(invoice, customer, sub, at=at, outcome=outcome, retries=False)
                sub["status"] = "trialing"
            elif payment_behavior == "default_incomplete":
                lines = [self.item_line(sub, item, at, period_end) for item in sub["items"]["data"]]
                invoice = self.new_invoice(
                    customer,
                    sub,
                    "subscription_create",
                    lines,
                    at=at,
                    period_start=at,
                    period_end=at,
                )
                self.state.add(invoice)
                sub["latest_invoice"] = invoice["id"]
                self.emit("invoice.created", invoice, at=at)
                self.finalize(invoice, customer, at=at)
                self.emit("invoice.finalized", invoice, at=at)
            else:
                lines = [self.item_line(sub, item, at, period_end) for item in sub["items"]["data"]]
                invoice = self.new_invoice(
                    customer,
                    sub,
                    "subscription_create",
                    lines,
                    at=at,
                    period_start=at,
                    period_end=at,
                )
                paid = self.open_and_collect(
                    invoice, customer, sub, at=at, outcome=outcome, retries=False
                )
                sub["status"] = "active" if paid else "incomplete"
        ordered = [HeldEvent("customer.subscription.created", copy.deepcopy(sub), at, None)]
        ordered += outbox
        if pending is not None:
            pending.extend(ordered)
        else:
            self.events.release(ordered)
        return sub

    @staticmethod
    def period_end(sub: dict[str, Any]) -> int:
        return min(item["current_period_end"] for item in sub["items"]["data"])

    def _set_status(self, sub: dict[str, Any], status: str, *, at: int) -> None:
        if sub["status"] == status:
            return
        before = copy.deepcopy(sub)
        sub["status"] = status
        self.emit(
            "customer.subscription.updated", sub, at=at, previous=previous_attributes(before, sub)
        )

    def cancel_subscription(
        self, sub: dict[str, Any], *, at: int, reason: str, invoice_now: bool = False
    ) -> dict[str, Any]:
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise InvalidRequest(
                f"No such subscription: '{sub['id']}'; it has been canceled.",
                code="resource_missing",
                param="id",
            )
        schedule = self.schedule_of(sub)
        if schedule is not None:
            # A subscription canceled under a schedule ends the schedule with it.
            schedule["status"], schedule["canceled_at"] = "canceled", at
            schedule["current_phase"] = None
            sub["schedule"] = None
            self.emit("subscription_schedule.canceled", schedule, at=at)
        sub["status"] = "canceled"
        sub["canceled_at"] = sub["canceled_at"] or at
        sub["ended_at"] = at
        sub["cancel_at"] = sub["cancel_at"] if sub["cancel_at_period_end"] else None
        sub["cancellation_details"]["reason"] = reason
        if invoice_now and sub["_pending_items"]:
            customer = self.state.get("customer", sub["customer"])
            invoice = self.new_invoice(
                customer,
                sub,
                "subscription_cycle",
                sub["_pending_items"],
                at=at,
                period_start=at,
                period_end=at,
            )
            sub["_pending_items"] = []
            self.open_and_collect(invoice, customer, sub, at=at, outcome=None, retries=False)
        self.emit("customer.subscription.deleted", sub, at=at)
        self.state.mark_dirty()
        return sub

    def pay_open_invoice(
        self,
        invoice: dict[str, Any],
        *,
        at: int,
        pm: dict[str, Any] | None = None,
        outcome: Outcome = None,
        authenticated: bool = False,
    ) -> bool:
        """Collect an open invoice now (``/pay``, the hosted invoice page, a retry); on the
        hosted page the cardholder is there to authenticate (``authenticated``)."""
        customer = self.state.get("customer", invoice["customer"])
        sub_id = (invoice["parent"] or {}).get("subscription_details", {}).get("subscription")
        sub = self.state.find("subscription", sub_id) if sub_id else None
        method = pm or self.charging_method(sub, customer)
        retry_days = (
            list(self.state.settings["payment_retry_days"])
            if invoice["billing_reason"] != "subscription_create"
            else None
        )
        paid = self.pay_invoice(
            invoice,
            customer,
            method,
            at=at,
            outcome=outcome,
            retry_days=retry_days,
            authenticated=authenticated,
        )
        if (
            sub is not None
            and paid
            and pm is not None
            and pm["customer"] == customer["id"]
            and sub["payment_settings"]["save_default_payment_method"] == "on_subscription"
        ):
            # Stripe keeps the method that paid the subscription's invoice as its default.
            sub["default_payment_method"] = pm["id"]
        if sub is not None and paid and sub["status"] in ("past_due", "incomplete", "unpaid"):
            self._set_status(sub, "active", at=at)
        elif (
            sub is not None
            and not paid
            and invoice["next_payment_attempt"] is None
            and sub["status"] == "past_due"
            and invoice["attempt_count"] > len(self.state.settings["payment_retry_days"])
        ):
            self._after_final_failure(sub, at=at)
        self.state.mark_dirty()
        return paid

    def _after_final_failure(self, sub: dict[str, Any], *, at: int) -> None:
        if self.state.settings["after_final_payment_failure"] == "unpaid":
            self._set_status(sub, "unpaid", at=at)
        else:
            self.cancel_subscription(sub, at=at, reason="payment_failed")

    def renew(self, sub: dict[str, Any], *, at: int) -> None:
        """A period ends: the next begins and its invoice is drafted. Stripe finalizes and
        collects it about an hour later (``automatically_finalizes_at``), when
        `Renewals.run_until` reaches that moment."""
        customer = self.state.get("customer", sub["customer"])
        if (
            sub["status"] == "trialing"
            and sub["trial_settings"]["end_behavior"]["missing_payment_method"] == "cancel"
            and self.charging_method(sub, customer) is None
        ):
            # The trial ends with no way to pay and the subscription was told to cancel then:
            # no invoice, the subscription ends (customer.subscription.deleted).
            self.cancel_subscription(sub, at=at, reason="cancellation_requested")
            return
        before = copy.deepcopy(sub)
        phase_end = self.phase_ends(sub)
        if phase_end is not None and phase_end <= at and not self.enter_next_phase(sub, at=at):
            return
        for item in sub["items"]["data"]:
            recurring = item["price"]["recurring"]
            start = item["current_period_end"]
            item["current_period_start"] = start
            item["current_period_end"] = add_interval(
                start,
                recurring["interval"],
                recurring["interval_count"],
                anchor_day=None,
            )
        if sub["status"] == "trialing":
            sub["status"] = "active"
        # A repeating discount ends with its last month: Stripe takes it off the subscription.
        sub["discounts"] = [d["id"] for d in in_effect(self.state, sub["discounts"], at=at)]
        first = sub["items"]["data"][0]
        ended = {item["id"]: item for item in before["items"]["data"]}
        lines = list(sub["_pending_items"]) + [
            # A metered item bills the usage of the period that ended, the others the new one.
            self.item_line(
                sub,
                item,
                *(
                    (ended[item["id"]]["current_period_start"], item["current_period_start"])
                    if billing_objects.is_metered(item["price"])
                    else (item["current_period_start"], item["current_period_end"])
                ),
            )
            for item in sub["items"]["data"]
        ]
        sub["_pending_items"] = []
        invoice = self.new_invoice(
            customer,
            sub,
            "subscription_cycle",
            lines,
            at=at,
            period_start=before["items"]["data"][0]["current_period_start"],
            period_end=first["current_period_start"],
        )
        self.state.add(invoice)
        sub["latest_invoice"] = invoice["id"]
        self.emit(
            "customer.subscription.updated", sub, at=at, previous=previous_attributes(before, sub)
        )
        self.emit("invoice.created", invoice, at=at)

"""Invoices in the simulator: lines, prorations, finalizing and collecting payment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import billing_objects, objects
from .currencies import price_in
from .discounts import apply_to_invoice, in_effect
from .ids import new_id
from .meter_resources import meter_usage
from .store import State
from .taxes import invoice_tax_apply

# Stripe writes quantities on invoice lines with a multiplication sign ("1 x Product").
TIMES = "\N{MULTIPLICATION SIGN}"

Outcome = str | None  # "succeed" / "fail" force a payment's result; None lets the card decide.


@dataclass
class UpdatePlan:
    """What a subscription update will do, worked out before anything changes."""

    items: list[dict[str, Any]]
    proration_lines: list[dict[str, Any]] = field(default_factory=list)
    resets_period: bool = False
    period_start: int = 0
    period_end: int = 0
    invoice_now: bool = False


class Invoicing:
    """The invoice part of `lifecycle.Billing` (a mixin: it uses the state and events there)."""

    state: State

    # -- invoices --------------------------------------------------------------------------

    def item_line(
        self, sub: dict[str, Any], item: dict[str, Any], start: int, end: int
    ) -> dict[str, Any]:
        price = price_in(self.state, item["price"], sub["currency"], param="items")
        product = self.state.find("product", price["product"])
        name = product["name"] if product else price["product"]
        if billing_objects.is_metered(price):
            return self.usage_line(sub, item, price, name, start, end)
        amount = price["unit_amount"] * item["quantity"]
        recurring = price["recurring"] or {}
        return billing_objects.invoice_line(
            amount=amount,
            currency=price["currency"],
            description=f"{item['quantity']} {TIMES} {name} (at "
            f"{objects.money(price['unit_amount'], price['currency'])} / "
            f"{recurring.get('interval', 'once')})",
            period_start=start,
            period_end=end,
            quantity=item["quantity"],
            price_obj=price,
            subscription_id=sub["id"],
            subscription_item_id=item["id"],
            proration=False,
        )

    def usage_line(
        self,
        sub: dict[str, Any],
        item: dict[str, Any],
        price: dict[str, Any],
        name: str,
        start: int,
        end: int,
    ) -> dict[str, Any]:
        """A metered item's line: the meter's aggregate of the customer's usage from `start` to
        `end` (the period that ended, billed in arrears) times the unit amount."""
        meter = self.state.get("billing.meter", price["recurring"]["meter"])
        usage = meter_usage(self.state, meter, sub["customer"], start, end)
        quantity = int(usage)
        return billing_objects.invoice_line(
            amount=round(price["unit_amount"] * usage),
            currency=price["currency"],
            description=f"{quantity} {TIMES} {name} (at "
            f"{objects.money(price['unit_amount'], price['currency'])} / "
            f"{price['recurring']['interval']})",
            period_start=start,
            period_end=end,
            quantity=quantity,
            price_obj=price,
            subscription_id=sub["id"],
            subscription_item_id=item["id"],
            proration=False,
        )

    def proration_line(
        self,
        sub: dict[str, Any],
        price: dict[str, Any],
        quantity: int,
        *,
        at: int,
        period_end: int,
        fraction: float,
        credit: bool,
    ) -> dict[str, Any]:
        price = price_in(self.state, price, sub["currency"], param="items")
        product = self.state.find("product", price["product"])
        name = product["name"] if product else price["product"]
        amount = round(price["unit_amount"] * quantity * fraction)
        wording = "Unused time on" if credit else "Remaining time on"
        return billing_objects.invoice_line(
            amount=-amount if credit else amount,
            currency=price["currency"],
            description=f"{wording} {quantity} {TIMES} {name} after {objects.short_date(at)}",
            period_start=at,
            period_end=period_end,
            quantity=quantity,
            price_obj=price,
            subscription_id=sub["id"],
            subscription_item_id=None,
            proration=True,
        )

    def new_invoice(
        self,
        customer: dict[str, Any],
        sub: dict[str, Any] | None,
        billing_reason: str,
        lines: list[dict[str, Any]],
        *,
        at: int,
        period_start: int,
        period_end: int,
        invoice_id: str | None = None,
    ) -> dict[str, Any]:
        currency = lines[0]["currency"] if lines else "usd"
        account = self.state.all("account")[0]
        invoice = billing_objects.invoice(
            invoice_id=invoice_id or new_id("in"),
            customer=customer,
            subscription_obj=sub,
            billing_reason=billing_reason,
            lines=lines,
            created=at,
            currency=currency,
            period_start=period_start,
            period_end=period_end,
            account_name=account["business_profile"]["name"],
        )
        # As Stripe does, the invoice keeps the customer's tax IDs of when it was made, oldest
        # first.
        invoice["customer_tax_ids"] = [
            {"type": tax_id["type"], "value": tax_id["value"]}
            for tax_id in reversed(self.state.all("tax_id"))
            if tax_id["customer"] == customer["id"]
        ]
        if sub is not None and sub.get("discounts"):
            apply_to_invoice(self.state, invoice, in_effect(self.state, sub["discounts"], at=at))
        # Tax comes last: Stripe Tax taxes what each line costs after its discounts.
        if sub is not None and sub["automatic_tax"]["enabled"]:
            invoice_tax_apply(self.state, invoice, customer)
        return invoice

    def finalize(self, invoice: dict[str, Any], customer: dict[str, Any], *, at: int) -> None:
        base = self.base_url()
        invoice["status"] = "open"
        invoice["number"] = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}"
        customer["next_invoice_sequence"] += 1
        invoice["effective_at"] = at
        invoice["automatically_finalizes_at"] = None
        invoice["status_transitions"]["finalized_at"] = at
        invoice["hosted_invoice_url"] = f"{base}/invoices/{invoice['id']}"
        invoice["invoice_pdf"] = f"{base}/invoices/{invoice['id']}/pdf"
        invoice["ending_balance"] = min(0, invoice["total"] + invoice["starting_balance"])
        # A credit left over (a downgrade's proration) stays on the customer's balance.
        customer["balance"] = invoice["ending_balance"]

    def pay_invoice(
        self,
        invoice: dict[str, Any],
        customer: dict[str, Any],
        pm: dict[str, Any] | None,
        *,
        at: int,
        outcome: Outcome,
        retry_days: list[int] | None,
        authenticated: bool = False,
    ) -> bool:
        """One payment attempt, with Stripe's charge and invoice events. A card that needs
        3-D Secure, charged without the cardholder (``authenticated`` false), leaves the invoice
        open awaiting authentication, as Stripe does."""
        if (
            invoice["amount_due"] > 0
            and outcome is None
            and not authenticated
            and pm is not None
            and pm.get("_authenticates")
        ):
            return self._await_authentication(invoice, at=at)
        succeeded = invoice["amount_due"] == 0 or self.would_succeed(pm, outcome)
        if invoice["amount_due"] > 0:
            invoice["attempt_count"] += 1
            invoice["attempted"] = True
            if pm is not None:
                charge = self.state.add(
                    objects.charge(
                        created=at,
                        customer_id=customer["id"],
                        amount=invoice["amount_due"],
                        currency=invoice["currency"],
                        pm=pm,
                        succeeded=succeeded,
                        description="Subscription creation"
                        if invoice["billing_reason"] == "subscription_create"
                        else "Subscription update",
                        receipt_url=invoice["hosted_invoice_url"],
                    )
                )
                self.emit("charge.succeeded" if succeeded else "charge.failed", charge, at=at)
        if succeeded:
            invoice["status"] = "paid"
            invoice["amount_paid"] = invoice["amount_due"]
            invoice["amount_remaining"] = 0
            invoice["attempted"] = True
            invoice["next_payment_attempt"] = None
            invoice["status_transitions"]["paid_at"] = at
            invoice["default_payment_method"] = None
            invoice["auto_advance"] = False
            invoice["_requires_action"] = False
            self.emit("invoice.paid", invoice, at=at)
            self.emit("invoice.payment_succeeded", invoice, at=at)
            return True
        attempts_left = retry_days is not None and invoice["attempt_count"] <= len(retry_days)
        invoice["next_payment_attempt"] = (
            at + retry_days[invoice["attempt_count"] - 1] * 86400
            if attempts_left and retry_days
            else None
        )
        self.emit("invoice.payment_failed", invoice, at=at)
        return False

    def _await_authentication(self, invoice: dict[str, Any], *, at: int) -> bool:
        """The attempt's payment needs the cardholder to authenticate: no charge is made, the
        invoice stays open (Stripe does not retry it) and its hosted page asks for the
        authentication."""
        invoice["attempt_count"] += 1
        invoice["attempted"] = True
        invoice["next_payment_attempt"] = None
        invoice["_requires_action"] = True
        self.emit("invoice.payment_action_required", invoice, at=at)
        return False

    def open_and_collect(
        self,
        invoice: dict[str, Any],
        customer: dict[str, Any],
        sub: dict[str, Any] | None,
        *,
        at: int,
        outcome: Outcome,
        retries: bool,
    ) -> bool:
        """Store a draft, finalize it and try to collect it, as Stripe does for subscriptions."""
        self.state.add(invoice)
        if sub is not None:
            sub["latest_invoice"] = invoice["id"]
        self.emit("invoice.created", invoice, at=at)
        self.finalize(invoice, customer, at=at)
        self.emit("invoice.finalized", invoice, at=at)
        retry_days = list(self.state.settings["payment_retry_days"]) if retries else None
        return self.pay_invoice(
            invoice,
            customer,
            self.charging_method(sub, customer),
            at=at,
            outcome=outcome,
            retry_days=retry_days,
        )

    def finalize_now(self, invoice: dict[str, Any], *, at: int, outcome: Outcome) -> None:
        """Finalize a draft (Stripe's automatic advancement does it about an hour after the
        draft was made). A zero total is then paid; an automatically advancing
        charge_automatically invoice is collected from the customer's payment method."""
        customer = self.state.get("customer", invoice["customer"])
        sub_id = ((invoice["parent"] or {}).get("subscription_details") or {}).get("subscription")
        sub = self.state.find("subscription", sub_id) if sub_id else None
        self.finalize(invoice, customer, at=at)
        self.emit("invoice.finalized", invoice, at=at)
        automatic = invoice["auto_advance"] and invoice["collection_method"] == (
            "charge_automatically"
        )
        if invoice["amount_due"] > 0 and not automatic:
            return
        # A subscription's own invoice decides its status and gets Stripe's retries.
        cycle = sub is not None and invoice["billing_reason"] != "manual"
        paid = self.pay_invoice(
            invoice,
            customer,
            self.charging_method(sub, customer),
            at=at,
            outcome=outcome,
            retry_days=list(self.state.settings["payment_retry_days"]) if cycle else None,
        )
        if not cycle or sub["status"] not in ("active", "past_due", "unpaid"):
            return
        if paid and sub["status"] in ("past_due", "unpaid"):
            self._set_status(sub, "active", at=at)
        elif not paid:
            self._set_status(sub, "past_due", at=at)

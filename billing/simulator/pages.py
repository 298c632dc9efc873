"""The hosted pages: Checkout, the customer portal and the invoice page, as plain HTML forms."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING, Any

from .checkout_details import TEST_ADDRESS, address_required
from .objects import money, short_date
from .taxes import REVERSE_CHARGE_NOTE, reverse_charged

if TYPE_CHECKING:
    from .server import Api

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;color:#1a1f36}"
    "button{margin:.3rem .3rem 0 0;padding:.5rem 1rem;border-radius:6px;border:1px solid #999;"
    "cursor:pointer}.primary{background:#635bff;color:#fff;border-color:#635bff}"
    ".error{color:#b3093c}.note{color:#555}table{border-collapse:collapse;width:100%}"
    "td{padding:.3rem;border-bottom:1px solid #eee}.banner{background:#fff3cd;padding:.4rem}"
)


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<p class='banner'>Stripe simulator — test mode</p>"
        f"<main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def _price_label(api: Api, price: dict[str, Any]) -> str:
    product = api.state.find("product", price["product"])
    name = product["name"] if product else price["product"]
    recurring = price["recurring"] or {}
    return (
        f"{name} — {money(price['unit_amount'], price['currency'])} / "
        f"{recurring.get('interval', 'once')}"
    )


def checkout_page(api: Api, session: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{escape(_price_label(api, item['price']))}</td>"
        f"<td>\N{MULTIPLICATION SIGN} {item['quantity']}</td>"
        f"<td>{money(item['amount_total'], item['currency'])}</td></tr>"
        for item in session["_line_items"]
    )
    total = money(session["amount_total"], session["currency"])
    if session["automatic_tax"]["enabled"]:
        total += " plus tax where it applies"
    if session["status"] != "open":
        return _page(
            "Checkout", f"<table>{rows}</table><p>This session is {escape(session['status'])}.</p>"
        )
    error = session["_last_error"]
    error_html = f"<p class='error'>{escape(error)}</p>" if error else ""
    email = session["customer_email"] or ""
    code = (
        "<label>Promotion code <input name='promotion_code' autocomplete='off'></label><br>"
        if session["allow_promotion_codes"]
        else ""
    )
    return _page(
        "Checkout",
        f"<table>{rows}</table><p><strong>Total due today: {total}</strong></p>{error_html}"
        f"<form method='post'><label>Email <input name='email' value='{escape(email)}'>"
        f"</label><br>{checkout_details_fields(api, session)}{code}"
        "<button class='primary' name='outcome' value='pay'>Pay (4242 4242 4242 4242)</button>"
        "<button name='outcome' value='decline'>Pay with a declined card (…0002)</button>"
        "<button name='outcome' value='cancel'>Cancel</button></form>",
    )


def checkout_details_fields(api: Api, session: dict[str, Any]) -> str:
    """The billing address and tax ID fields, when the session collects them."""
    customer = api.state.find("customer", session["customer"])
    html = ""
    if address_required(session, customer):
        fields = (
            ("line1", "Address"),
            ("line2", "Address line 2"),
            ("city", "City"),
            ("postal_code", "Postal code"),
            ("state", "State or region"),
            ("country", "Country (two letters, e.g. DE)"),
        )
        html += "<fieldset><legend>Billing address</legend>" + "".join(
            f"<label>{label} <input name='{name}' "
            f"value='{escape(TEST_ADDRESS.get(name, ''))}'></label><br>"
            for name, label in fields
        )
        html += "</fieldset>"
    if session["tax_id_collection"]["enabled"]:
        html += (
            "<fieldset><legend>I'm purchasing as a business</legend>"
            "<label>Tax ID type <select name='tax_id_type'>"
            "<option value='eu_vat'>EU VAT</option><option value='gb_vat'>UK VAT</option>"
            "<option value='us_ein'>US EIN</option></select></label> "
            "<label>Tax ID <input name='tax_id_value'></label></fieldset>"
        )
    return html


def portal_page(api: Api, session: dict[str, Any], notice: str | None = None) -> str:
    customer = api.state.get("customer", session["customer"])
    subs = [
        s
        for s in api.state.all("subscription")
        if s["customer"] == customer["id"] and s["status"] != "canceled"
    ]
    prices = [p for p in api.state.all("price") if p["active"] and p["recurring"]]
    blocks = []
    for sub in subs:
        item = sub["items"]["data"][0]
        ends = short_date(item["current_period_end"])
        state = f"cancels on {ends}" if sub["cancel_at_period_end"] else f"renews on {ends}"
        options = "".join(
            f"<option value='{p['id']}'>{escape(_price_label(api, p))}</option>"
            for p in prices
            if p["id"] != item["price"]["id"]
        )
        toggle = (
            "<button name='action' value='resume'>Renew plan</button>"
            if sub["cancel_at_period_end"]
            else "<button name='action' value='cancel'>Cancel plan</button>"
        )
        blocks.append(
            f"<h2>{escape(_price_label(api, item['price']))}</h2>"
            f"<p>Status: {escape(sub['status'])}, {state}.</p>"
            f"<form method='post'><input type='hidden' name='subscription' value='{sub['id']}'>"
            f"<label>New plan <select name='price'>{options}</select></label> "
            f"<button name='action' value='switch_plan'>Update plan</button>{toggle}</form>"
        )
    pm = api.state.find("payment_method", customer["invoice_settings"]["default_payment_method"])
    if pm is None and subs:
        pm = api.state.find("payment_method", subs[0]["default_payment_method"])
    card = f"{pm['card']['brand'].title()} •••• {pm['card']['last4']}" if pm else "none"
    invoices = "".join(
        f"<tr><td>{short_date(i['created'])}</td><td>{money(i['total'], i['currency'])}</td>"
        f"<td>{escape(i['status'])}</td><td><a href='{escape(i['hosted_invoice_url'] or '')}'>"
        f"view</a></td></tr>"
        for i in api.state.all("invoice")
        if i["customer"] == customer["id"] and i["number"]
    )
    notice_html = f"<p class='note'>{escape(notice)}</p>" if notice else ""
    back = escape(session["return_url"] or "")
    return _page(
        "Manage your billing",
        f"{notice_html}{''.join(blocks) or '<p>No active subscription.</p>'}"
        f"<h2>Payment method</h2><p>{escape(card)}</p><form method='post'>"
        "<input type='hidden' name='action' value='update_card'>"
        "<button name='card' value='pm_card_visa'>Use Visa …4242</button>"
        "<button name='card' value='pm_card_chargeCustomerFail'>Use a card whose charges "
        "decline …0341"
        "</button><button name='card' value='pm_card_authenticationRequired'>Use a card that "
        "needs 3-D Secure …3184</button></form>"
        f"<h2>Invoices</h2><table>{invoices}</table><p><a href='{back}'>Return</a></p>",
    )


def invoice_page(api: Api, invoice: dict[str, Any], notice: str | None = None) -> str:
    rows = "".join(
        f"<tr><td>{escape(line['description'])}</td>"
        f"<td>{money(line['amount'], line['currency'])}</td></tr>"
        for line in invoice["lines"]["data"]
    )
    pay = ""
    if invoice["status"] == "open" and invoice.get("_requires_action"):
        pay = (
            "<p>This payment needs you to confirm it with your bank (3-D Secure).</p>"
            "<form method='post'><button class='primary' name='action' value='authenticate'>"
            "Complete authentication</button><button name='action' value='fail_authentication'>"
            "Fail authentication</button></form>"
        )
    elif invoice["status"] == "open":
        pay = (
            "<form method='post'><button class='primary' name='card' value='pm_card_visa'>"
            "Pay with Visa …4242</button><button name='card' value='pm_card_chargeDeclined'>"
            "Pay with a declined card</button></form>"
        )
    notice_html = f"<p class='note'>{escape(notice)}</p>" if notice else ""
    return _page(
        f"Invoice {invoice['number'] or invoice['id']}",
        f"{notice_html}<p>Status: <strong>{escape(invoice['status'])}</strong></p>"
        f"<table>{rows}</table>"
        + "".join(f"<p>{escape(line)}</p>" for line in tax_lines(invoice))
        + f"<p>Amount due: {money(invoice['amount_due'], invoice['currency'])}</p>{pay}"
        f"<p><a href='{escape(invoice['invoice_pdf'] or '')}'>Download PDF</a></p>",
    )


def invoice_pdf_lines(api: Api, invoice: dict[str, Any]) -> list[str]:
    account = api.state.all("account")[0]
    lines = [
        f"{account['business_profile']['name']} - Invoice {invoice['number'] or invoice['id']}",
        f"Date: {short_date(invoice['created'])}",
        f"Billed to: {invoice['customer_email'] or invoice['customer']}",
        *_billed_to(invoice),
        f"Status: {invoice['status']}",
        "",
    ]
    for line in invoice["lines"]["data"]:
        lines.append(f"{line['description']}    {money(line['amount'], line['currency'])}")
    lines += ["", *summary_lines(api, invoice)]
    return lines


def summary_lines(api: Api, invoice: dict[str, Any]) -> list[str]:
    """The totals under an invoice's lines as Stripe's PDF prints them: the subtotal, each
    discount, the total excluding tax, each tax with its rate and the amount it is on, the total
    and what is paid and due, all in the invoice's currency."""
    currency = invoice["currency"]
    lines = [f"Subtotal: {money(invoice['subtotal'], currency)}"]
    for entry in invoice["total_discount_amounts"] or []:
        lines.append(
            f"{_discount_label(api, entry['discount'])}: {money(-entry['amount'], currency)}"
        )
    taxes = [
        tax
        for tax in invoice.get("total_taxes") or []
        if tax["taxability_reason"] in ("standard_rated", "reverse_charge")
    ]
    if taxes or invoice["total_discount_amounts"]:
        lines.append(f"Total excluding tax: {money(invoice['total_excluding_tax'], currency)}")
    for tax in taxes:
        rate = api.state.get("tax_rate", tax["tax_rate_details"]["tax_rate"])
        percentage = f"{Decimal(str(rate['percentage'])).normalize():f}"
        lines.append(
            f"{rate['display_name']} - {rate['jurisdiction']} ({percentage}% on "
            f"{money(tax['taxable_amount'], currency)}): {money(tax['amount'], currency)}"
        )
    if reverse_charged(invoice):
        lines.append(REVERSE_CHARGE_NOTE)
    return [
        *lines,
        f"Total: {money(invoice['total'], currency)}",
        f"Amount paid: {money(invoice['amount_paid'], currency)}",
        f"Amount due: {money(invoice['amount_remaining'], currency)}",
    ]


def _discount_label(api: Api, discount_id: str) -> str:
    """ "WELCOME20 (20% off)": the promotion code (else the coupon's name) and what it takes."""
    discount = api.state.get("discount", discount_id)
    coupon = discount["_coupon"]
    promotion = api.state.find("promotion_code", discount.get("promotion_code"))
    name = (promotion or {}).get("code") or coupon.get("name") or coupon["id"]
    if coupon.get("percent_off") is not None:
        off = f"{Decimal(str(coupon['percent_off'])).normalize():f}% off"
    else:
        off = f"{money(coupon['amount_off'], coupon['currency'])} off"
    return f"{name} ({off})"


def tax_lines(invoice: dict[str, Any]) -> list[str]:
    """What an invoice computed by Stripe Tax says of its tax, the reverse charge included."""
    if not invoice["automatic_tax"]["enabled"]:
        return []
    tax = sum(t["amount"] for t in invoice["total_taxes"] or [])
    lines = [
        f"Subtotal excluding tax: {money(invoice['total_excluding_tax'], invoice['currency'])}",
        f"Tax: {money(tax, invoice['currency'])}",
    ]
    if reverse_charged(invoice):
        lines.append(REVERSE_CHARGE_NOTE)
    return lines


def _billed_to(invoice: dict[str, Any]) -> list[str]:
    """The customer's name, address and tax IDs as the invoice keeps them."""
    address = invoice["customer_address"] or {}
    parts = [
        invoice["customer_name"],
        address.get("line1"),
        address.get("line2"),
        " ".join(filter(None, [address.get("postal_code"), address.get("city")])),
        address.get("state"),
        address.get("country"),
    ]
    taxes = [
        f"{t['type'].upper().replace('_', ' ')}: {t['value']}"
        for t in invoice["customer_tax_ids"] or []
    ]
    return [part for part in parts if part] + taxes

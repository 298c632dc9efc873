"""The HTTP server: auth, idempotency, faults, the /v1 API, hosted pages and /_sim controls."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import socket
import struct
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import (  # noqa: F401  (registers the routes)
    billing_resources,
    costs,
    customer_resources,
    invoice_resources,
    meter_resources,
    objects,
    promotion_resources,
    resources,
    schedule_resources,
    subscription_resources,
    tax_id_resources,
)
from .billing_resources import checkout_pay, portal_action
from .checkout_details import collected_from_form
from .currencies import currency_options_shown
from .discounts import CodeRefused
from .errors import (
    AuthenticationFailed,
    IdempotencyMismatch,
    InvalidRequest,
    ResourceMissing,
    StripeApiError,
    UnknownRoute,
)
from .events import EventLog, WebhookDispatcher
from .forms import parse_form
from .ids import new_request_id, new_webhook_secret
from .lifecycle import Billing
from .pages import checkout_page, invoice_page, invoice_pdf_lines, portal_page
from .pdf import render_pdf
from .routing import match
from .shapes import included
from .simulated import check_request
from .store import Expander, State, public

logger = logging.getLogger(__name__)

DEFAULT_SETTINGS: dict[str, Any] = {
    # Days after the first failure at which Stripe retries a renewal invoice.
    "payment_retry_days": [3, 5, 7],
    # What happens after the last retry fails: Stripe's "cancel" or "unpaid" setting.
    "after_final_payment_failure": "cancel",
}
DEFAULT_SETTINGS.update(costs.DEFAULT_SETTINGS)


@dataclass
class Fault:
    mode: str  # "500", "timeout" or "reset"
    remaining: int | None  # None: every request until cleared
    hold_seconds: float
    after: int = 0  # requests still answered normally before the fault begins


class Api:
    """Everything a request handler needs: the state, billing rules, events and base URL."""

    def __init__(self, state: State, events: EventLog, dispatcher: WebhookDispatcher) -> None:
        self.state = state
        self.events = events
        self.dispatcher = dispatcher
        self.url = ""
        self.billing = Billing(state, events, self.base_url)
        self.fault: Fault | None = None
        self.costs = costs.Costs(state)
        self.expander = Expander(self.render, state.resolve_id, self.includable)

    def base_url(self) -> str:
        return self.url

    def seed(self) -> None:
        """The account and default portal configuration every Stripe account has."""
        now = self.billing.now()
        if not self.state.all("account"):
            self.state.add(objects.account(now))
        if not self.state.all("billing_portal.configuration"):
            self.state.add(objects.portal_configuration(created=now, is_default=True))
        for key, value in DEFAULT_SETTINGS.items():
            self.state.settings.setdefault(key, value)

    def render(self, obj: dict[str, Any]) -> dict[str, Any]:
        return public(obj)

    def includable(self, node: dict[str, Any], key: str) -> Any:
        """Properties Stripe leaves out unless expanded (``customer.sources``, …)."""
        kind = node.get("object")
        object_id = node.get("id", "")
        if kind == "customer" and key in ("sources", "tax_ids"):
            found = tax_id_resources.tax_ids_of(self, object_id) if key == "tax_ids" else []
            return {
                "object": "list",
                "data": [public(tax_id) for tax_id in found],
                "has_more": False,
                "url": f"/v1/customers/{object_id}/{key}",
            }
        if kind == "customer" and key == "subscriptions":
            subs = [
                public(s)
                for s in self.state.all("subscription")
                if s["customer"] == object_id and s["status"] != "canceled"
            ]
            return {
                "object": "list",
                "data": subs,
                "has_more": False,
                "url": f"/v1/customers/{object_id}/subscriptions",
            }
        if kind == "checkout.session" and key == "line_items":
            session = self.state.find("checkout.session", object_id)
            items = public(session["_line_items"]) if session else []
            return {
                "object": "list",
                "data": items,
                "has_more": False,
                "url": f"/v1/checkout/sessions/{object_id}/line_items",
            }
        if kind == "item" and key in ("discounts", "taxes"):
            # A Checkout line item's discounts and taxes are included only when expanded.
            return []
        if kind is None and key == "breakdown" and "amount_tax" in node:
            return {"discounts": [], "taxes": []}
        if kind == "price" and key == "currency_options":
            return currency_options_shown(self.state.find("price", object_id) or node)
        if kind == "price" and key == "tiers":
            return []
        if kind == "invoice" and key == "payments":
            return {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/invoice_payments?invoice={object_id}",
            }
        return included(node, key)

    def reset(self) -> None:
        with self.state.lock:
            self.state.restore({})
            self.state.settings.clear()
            self.state.idempotency.clear()
            self.fault = None
            self.dispatcher.clear()
            self.seed()
            self.state.mark_dirty()

    def add_webhook_endpoint(
        self, url: str, *, secret: str | None = None, enabled_events: list[str] | None = None
    ) -> dict[str, Any]:
        with self.state.lock:
            endpoint = objects.webhook_endpoint(
                created=self.billing.now(),
                url=url,
                enabled_events=enabled_events or ["*"],
                description="Added by the simulator's control API",
                secret=secret or new_webhook_secret(),
                api_version=None,
            )
            self.state.add(endpoint)
            return {**public(endpoint), "secret": endpoint["_secret"]}

    def advance(self, *, days: float, outcome: str | None) -> dict[str, Any]:
        """Move every subscription — on the system clock and on test clocks — ``days`` ahead."""
        seconds = int(days * 86400)
        with self.state.lock:
            target = self.billing.now() + seconds

            def shift(moment: int) -> None:
                self.state.time_offset = moment - int(time.time())

            self.billing.run_until(target, clock_id=None, outcome=outcome, set_time=shift)
            for clock in self.state.all("test_helpers.test_clock"):
                clock_target = clock["frozen_time"] + seconds

                def set_clock(moment: int, clock: dict[str, Any] = clock) -> None:
                    clock["frozen_time"] = moment

                self.billing.run_until(
                    clock_target, clock_id=clock["id"], outcome=outcome, set_time=set_clock
                )
            self.state.mark_dirty()
            return {"now": self.billing.now(), "time_offset": self.state.time_offset}


class SimulatorHandler(BaseHTTPRequestHandler):
    server_version = "stripe-simulator/1.0"
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a keep-alive client's delayed ACK
    # holds the body back ~40 ms, which made every API call (and dj-stripe's syncs) crawl.
    disable_nagle_algorithm = True
    api: Api  # set on the subclass the Simulator builds
    replay_headers: dict[str, str] = {}  # replaced per request (a replay's), never mutated

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- plumbing --------------------------------------------------------------------------

    def _body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode("utf-8") if length else ""

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, indent=2).encode()
        self._send(status, body, "application/json", headers)

    def _redirect(self, location: str) -> None:
        self._send(HTTPStatus.SEE_OTHER, b"", "text/plain", {"Location": location})

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        try:
            if path.startswith("/v1/"):
                self._api(method)
            elif path.startswith("/_sim/"):
                self._control(method, path)
            else:
                self._hosted(method, path)
        except ConnectionError:
            # The client went away (a timeout on its side); nothing left to answer.
            pass

    # -- the Stripe API --------------------------------------------------------------------

    def _authenticate(self) -> None:
        header = self.headers.get("Authorization", "")
        key = ""
        if header.startswith("Bearer "):
            key = header[len("Bearer ") :].strip()
        elif header.startswith("Basic "):
            decoded = base64.b64decode(header[len("Basic ") :]).decode("utf-8", "replace")
            key = decoded.split(":", 1)[0]
        if not key:
            raise AuthenticationFailed(
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY')."
            )
        if not key.startswith(("sk_test_", "rk_test_")):
            shown = key[:8] + "*" * max(0, len(key) - 12) + key[-4:]
            raise AuthenticationFailed(f"Invalid API Key provided: {shown}")

    def _take_fault(self) -> Fault | None:
        with self.api.state.lock:
            fault = self.api.fault
            if fault is None:
                return None
            if fault.after > 0:
                fault.after -= 1
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.api.fault = None
            return fault

    def _apply_fault(self, fault: Fault) -> None:
        if fault.mode == "timeout":
            # Hold the connection without answering, then drop it.
            time.sleep(fault.hold_seconds)
            self.close_connection = True
            return
        if fault.mode == "reset":
            # SO_LINGER 0 makes close() send a TCP RST: the client sees a connection reset.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        request_id = new_request_id()
        error = StripeApiError("An unknown error occurred (injected by the simulator).")
        error.error_type = "api_error"
        self._send_json(500, error.body(request_id), {"Request-Id": request_id})

    def _api(self, method: str) -> None:
        if self.api.costs.refused(self):
            return
        request_id = new_request_id()
        split = urlsplit(self.path)
        body = self._body()
        headers = {"Request-Id": request_id, "Stripe-Version": objects.API_VERSION}
        fault = self._take_fault()
        if fault is not None:
            self._apply_fault(fault)
            return
        idempotency_key = self.headers.get("Idempotency-Key")
        try:
            self._authenticate()
            if method == "GET":
                params = parse_form(split.query)
            else:
                params = parse_form(body) if body else parse_form(split.query)
            found = match(method, split.path)
            if found is None:
                raise UnknownRoute(method, split.path)
            handler, path_ids = found
            # Parameters Stripe would refuse (and ones not simulated) never reach the handler.
            check_request(handler, params)
            with self.api.state.lock:
                status, payload = self._run(
                    method, split.path, body, params, handler, path_ids, request_id, idempotency_key
                )
        except StripeApiError as error:
            status, payload = error.status, error.body(request_id)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        # A replay answers with the first request's id (set by `_run`).
        headers.update(self.replay_headers)
        self.replay_headers = {}
        self._send_json(status, payload, headers)
        self.api.state.save_if_dirty()

    def _run(
        self,
        method: str,
        path: str,
        body: str,
        params: dict[str, Any],
        handler: Any,
        path_ids: dict[str, str],
        request_id: str,
        idempotency_key: str | None,
    ) -> tuple[int, Any]:
        """Run the handler under Stripe's idempotency rules.

        A POST with a key keeps its answer for that key once the endpoint has begun executing;
        the same parameters again (in any order: the parsed parameters are compared, not the
        body) answer it again, with the first request's ``Request-Id`` and
        ``Idempotent-Replayed: true``; other parameters are an idempotency error. A validation
        error raised before anything changed is not kept, so the corrected retry runs. GET and
        DELETE are idempotent by definition: Stripe ignores their keys.
        """
        idempotent = bool(idempotency_key) and method == "POST"
        fingerprint = hashlib.sha256(
            json.dumps([method, path, params], sort_keys=True).encode()
        ).hexdigest()
        if idempotent:
            previous = self.api.state.idempotency.get(idempotency_key)
            if previous is not None:
                if previous["fingerprint"] != fingerprint:
                    raise IdempotencyMismatch(idempotency_key)
                self.replay_headers = {
                    "Request-Id": previous["request_id"],
                    "Original-Request": previous["request_id"],
                    "Idempotent-Replayed": "true",
                }
                return previous["status"], previous["payload"]
        self.api.events.request = {
            "id": request_id if method != "GET" else None,
            "idempotency_key": idempotency_key,
        }
        changes = self.api.state.changes
        try:
            result = handler(self.api, params, **path_ids)
            payload = self.api.expander.expand(self.api.render(result), params.get("expand"))
            status = 200
        except StripeApiError as error:
            unexecuted = error.validation and self.api.state.changes == changes
            if error.status >= 500 or not idempotent or unexecuted:
                raise
            status, payload = error.status, error.body(request_id)
        finally:
            self.api.events.request = {"id": None, "idempotency_key": None}
        if idempotent:
            self.api.state.idempotency[idempotency_key] = {
                "fingerprint": fingerprint,
                "status": status,
                "payload": payload,
                "request_id": request_id,
            }
        return status, payload

    # -- hosted pages ----------------------------------------------------------------------

    def _hosted(self, method: str, path: str) -> None:
        parts = [part for part in path.split("/") if part]
        form = dict(parse_qsl(self._body())) if method == "POST" else {}
        api = self.api
        try:
            with api.state.lock:
                if len(parts) == 2 and parts[0] == "checkout":
                    self._checkout(method, api.state.get("checkout.session", parts[1]), form)
                elif len(parts) == 2 and parts[0] == "portal":
                    self._portal(method, api.state.get("billing_portal.session", parts[1]), form)
                elif len(parts) == 2 and parts[0] == "invoices":
                    self._invoice(method, api.state.get("invoice", parts[1]), form)
                elif len(parts) == 3 and parts[0] == "invoices" and parts[2] == "pdf":
                    invoice = api.state.get("invoice", parts[1])
                    self._send(
                        200,
                        render_pdf(invoice_pdf_lines(api, invoice)),
                        "application/pdf",
                        {
                            "Content-Disposition": "inline; filename="
                            f"{invoice['number'] or invoice['id']}.pdf"
                        },
                    )
                elif parts == []:
                    self._send(200, b"Stripe simulator: see /_sim/health and /v1/.", "text/plain")
                else:
                    raise ResourceMissing("page", path)
        except StripeApiError as error:
            self._send(error.status, f"<p>{error.message}</p>".encode(), "text/html")
        api.state.save_if_dirty()

    def _html(self, status: int, html: str) -> None:
        self._send(status, html.encode(), "text/html; charset=utf-8")

    def _checkout(self, method: str, session: dict[str, Any], form: dict[str, str]) -> None:
        if method == "GET":
            self._html(200, checkout_page(self.api, session))
            return
        outcome = form.get("outcome")
        if outcome == "cancel":
            self._redirect(session["cancel_url"] or session["success_url"])
            return
        if outcome not in ("pay", "decline"):
            raise InvalidRequest("outcome must be pay, decline or cancel", param="outcome")
        try:
            checkout_pay(
                self.api,
                session,
                test_card="pm_card_visa" if outcome == "pay" else "pm_card_chargeDeclined",
                email=form.get("email") or None,
                promotion_code=form.get("promotion_code") or None,
                collected=collected_from_form(form),
            )
        except CodeRefused:
            self._html(400, checkout_page(self.api, session))
            return
        except StripeApiError as error:
            # A declined card is 402; a missing address or malformed tax ID 400.
            self._html(error.status, checkout_page(self.api, session))
            return
        self._redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))

    def _portal(self, method: str, session: dict[str, Any], form: dict[str, str]) -> None:
        if method == "GET":
            self._html(200, portal_page(self.api, session))
            return
        try:
            portal_action(self.api, session, form)
        except StripeApiError as error:
            self._html(error.status, portal_page(self.api, session, notice=error.message))
            return
        self._redirect(session["return_url"] or session["url"])

    def _invoice(self, method: str, invoice: dict[str, Any], form: dict[str, str]) -> None:
        if method == "GET":
            self._html(200, invoice_page(self.api, invoice))
            return
        if invoice["status"] != "open":
            self._html(409, invoice_page(self.api, invoice, notice="Nothing to pay."))
            return
        customer = self.api.state.get("customer", invoice["customer"])
        at = self.api.billing.now(customer["id"])
        action = form.get("action")
        if action in ("authenticate", "fail_authentication") and invoice.get("_requires_action"):
            # 3-D Secure on the hosted page: the card that awaits it is charged, authenticated.
            if action == "fail_authentication":
                self._html(402, invoice_page(self.api, invoice, notice="Authentication failed."))
                return
            pm = self.api.billing.invoice_charging_method(invoice)
        else:
            pm = self.api.billing.paying_method(
                form.get("card", "pm_card_visa"), customer, at=at, param="card"
            )
        paid = self.api.billing.pay_open_invoice(invoice, at=at, pm=pm, authenticated=True)
        self._html(
            200 if paid else 402,
            invoice_page(
                self.api, invoice, notice="Paid. Thank you!" if paid else "Your card was declined."
            ),
        )

    # -- /_sim controls --------------------------------------------------------------------

    def _control(self, method: str, path: str) -> None:
        body = self._body()
        try:
            payload = json.loads(body) if body.strip() else {}
        except json.JSONDecodeError:
            self._send_json(400, {"error": "body must be JSON"})
            return
        try:
            status, answer = self._control_action(method, path, payload)
        except (KeyError, TypeError, ValueError) as error:
            status, answer = 400, {"error": f"bad control request: {error}"}
        except StripeApiError as error:
            status, answer = error.status, error.body("control")
        self._send_json(status, answer)
        self.api.state.save_if_dirty()

    def _control_action(self, method: str, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
        api = self.api
        if (method, path) == ("GET", "/_sim/health"):
            return 200, {"ok": True, "url": api.url}
        if (method, path) == ("POST", "/_sim/reset"):
            api.reset()
            return 200, {"ok": True}
        if (method, path) == ("POST", "/_sim/advance"):
            outcome = payload.get("payment")
            if outcome not in (None, "auto", "succeed", "fail"):
                raise ValueError("payment must be auto, succeed or fail")
            return 200, api.advance(
                days=float(payload["days"]), outcome=None if outcome == "auto" else outcome
            )
        if (method, path) == ("POST", "/_sim/faults"):
            mode = str(payload["mode"])
            if mode not in ("500", "timeout", "reset"):
                raise ValueError("mode must be 500, timeout or reset")
            count = payload.get("count", 1)
            with api.state.lock:
                api.fault = Fault(
                    mode,
                    None if count is None else int(count),
                    float(payload.get("hold_seconds", 30)),
                    after=int(payload.get("after", 0)),
                )
            return 200, {"ok": True, "mode": mode, "count": count}
        if (method, path) == ("DELETE", "/_sim/faults"):
            with api.state.lock:
                api.fault = None
            return 200, {"ok": True}
        if (method, path) == ("POST", "/_sim/webhook_endpoints"):
            return 200, api.add_webhook_endpoint(
                payload["url"],
                secret=payload.get("secret"),
                enabled_events=payload.get("enabled_events"),
            )
        if (method, path) == ("GET", "/_sim/webhook_deliveries"):
            with api.state.lock:
                return 200, {"data": list(api.dispatcher.attempts)}
        if (method, path) == ("POST", "/_sim/webhooks/wait"):
            idle = api.dispatcher.wait_idle(float(payload.get("timeout", 10)))
            return (200 if idle else 504), {"idle": idle}
        if path == "/_sim/settings":
            with api.state.lock:
                if method == "POST":
                    costs.check_settings(payload)
                    for key in DEFAULT_SETTINGS:
                        if key in payload:
                            api.state.settings[key] = payload[key]
                    api.state.mark_dirty()
                return 200, dict(api.state.settings)
        if (method, path) == ("GET", "/_sim/time"):
            return 200, {"now": api.billing.now(), "time_offset": api.state.time_offset}
        return 404, {"error": f"no control {method} {path}"}

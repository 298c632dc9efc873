"""The Simulator: builds the state, server and webhook worker and runs them in a thread."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Any

from .events import DEFAULT_RETRY_DELAYS, EventLog, WebhookDispatcher
from .server import Api, SimulatorHandler
from .store import State


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Simulator:
    """A running simulator; ``url`` is its base URL (API, hosted pages and controls)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        state_file: str | None = None,
        webhook_retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        webhook_timeout: float = 10.0,
        payment_retry_days: list[int] | None = None,
        after_final_payment_failure: str | None = None,
    ) -> None:
        self.state = State(state_file)
        self.dispatcher = WebhookDispatcher(
            self.state,
            retry_delays=tuple(webhook_retry_delays),
            delivery_timeout=webhook_timeout,
        )
        self.events = EventLog(self.state, self.dispatcher)
        self.api = Api(self.state, self.events, self.dispatcher)
        self.state.load()
        self.api.seed()
        if payment_retry_days is not None:
            self.state.settings["payment_retry_days"] = list(payment_retry_days)
        if after_final_payment_failure is not None:
            self.state.settings["after_final_payment_failure"] = after_final_payment_failure
        handler = type("BoundHandler", (SimulatorHandler,), {"api": self.api})
        self.httpd = _Server((host, port), handler)
        bound_host, bound_port = self.httpd.server_address[:2]
        self.host, self.port = str(bound_host), int(bound_port)
        self.url = f"http://{self.host}:{self.port}"
        self.api.url = self.url
        self._thread: threading.Thread | None = None

    def start(self) -> Simulator:
        self.dispatcher.start()
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="stripe-simulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.dispatcher.start()
        try:
            self.httpd.serve_forever()
        finally:
            self.dispatcher.stop()
            self.state.save_if_dirty()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.dispatcher.stop()
        self.state.save_if_dirty()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- conveniences for tests and the dev runner (same as the /_sim controls) -------------

    def reset(self) -> None:
        self.api.reset()

    def add_webhook_endpoint(
        self, url: str, *, secret: str | None = None, enabled_events: list[str] | None = None
    ) -> dict[str, Any]:
        return self.api.add_webhook_endpoint(url, secret=secret, enabled_events=enabled_events)

    def advance(self, days: float, payment: str | None = None) -> dict[str, Any]:
        return self.api.advance(days=days, outcome=payment)

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        return self.dispatcher.wait_idle(timeout)

    def webhook_attempts(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.dispatcher.attempts)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_simulator(
    host: str = "127.0.0.1", port: int = 0, state_file: str | None = None, **options: Any
) -> Simulator:
    """Start a simulator in a background thread (``port=0`` picks a free port)."""
    return Simulator(host, port, state_file=state_file, **options).start()

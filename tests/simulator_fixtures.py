"""Pytest fixtures for the Stripe simulator: the server on a free port, clients, a receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from billing.simulator import DEMO_SECRET_KEY, Simulator, start_simulator


@pytest.fixture(scope="session")
def stripe_simulator() -> Iterator[Simulator]:
    """One simulator for the session, with webhook retries and payment retries compressed."""
    simulator = start_simulator(port=0, webhook_retry_delays=(0.05, 0.1, 0.2), webhook_timeout=2.0)
    yield simulator
    simulator.stop()


@pytest.fixture
def sim(stripe_simulator: Simulator) -> Simulator:
    """The session's simulator, emptied before the test."""
    stripe_simulator.reset()
    return stripe_simulator


@pytest.fixture
def stripe_client(sim: Simulator) -> stripe.StripeClient:
    return stripe.StripeClient(
        DEMO_SECRET_KEY, base_addresses={"api": sim.url}, max_network_retries=0
    )


@pytest.fixture
def stripe_module(sim: Simulator) -> Iterator[None]:
    """Point the ``stripe`` module globals at the simulator for the test, then restore."""
    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key, stripe.api_base, stripe.max_network_retries = DEMO_SECRET_KEY, sim.url, 0
    yield
    stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


class WebhookReceiver:
    """A real HTTP server collecting webhook requests; answers from a scripted list."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append(
                        {"body": body.decode(), "headers": dict(self.headers), "status": status}
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stripe/webhook/"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def delivered_events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests if 200 <= r["status"] < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()

"""Events and webhooks: record each change as an event, sign it and deliver it with retries."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import requests

from . import objects
from .store import State, public

logger = logging.getLogger(__name__)

# Stripe retries failed deliveries for up to three days with exponential backoff; the
# simulator keeps the shape of that schedule but compresses it (seconds, not hours).
DEFAULT_RETRY_DELAYS = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)


def sign_payload(payload: str, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header Stripe sends: ``t=<ts>,v1=<hmac-sha256>``."""
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def previous_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The top-level values an update changed, as ``data.previous_attributes`` carries them."""
    return {
        key: before.get(key)
        for key in after
        if not key.startswith("_") and before.get(key) != after.get(key)
    }


@dataclass(order=True)
class _Delivery:
    due: float
    sequence: int
    event_id: str = field(compare=False)
    endpoint_id: str = field(compare=False)
    attempt: int = field(compare=False, default=1)


class WebhookDispatcher:
    """One worker thread that POSTs events in the order they happened, retrying failures."""

    def __init__(
        self, state: State, *, retry_delays: tuple[float, ...], delivery_timeout: float
    ) -> None:
        self.state = state
        self.retry_delays = retry_delays
        self.delivery_timeout = delivery_timeout
        self.attempts: list[dict[str, Any]] = []
        self._queue: list[_Delivery] = []
        self._sequence = itertools.count()
        self._in_flight = 0
        self._condition = threading.Condition()
        self._stopping = False
        self._session = requests.Session()
        self._thread = threading.Thread(
            target=self._run, name="stripe-simulator-webhooks", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        self._thread.join(timeout=5)

    def clear(self) -> None:
        with self._condition:
            self._queue.clear()
            self.attempts.clear()
            self._condition.notify_all()

    def enqueue(self, event_id: str, endpoint_id: str) -> None:
        with self._condition:
            heapq.heappush(
                self._queue,
                _Delivery(time.monotonic(), next(self._sequence), event_id, endpoint_id),
            )
            self._condition.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued, retrying or in flight; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._queue or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopping:
                    if self._queue and self._queue[0].due <= time.monotonic():
                        break
                    wait = self._queue[0].due - time.monotonic() if self._queue else None
                    self._condition.wait(wait)
                if self._stopping:
                    return
                delivery = heapq.heappop(self._queue)
                self._in_flight += 1
            try:
                self._deliver(delivery)
            finally:
                with self._condition:
                    self._in_flight -= 1
                    self._condition.notify_all()

    def _deliver(self, delivery: _Delivery) -> None:
        with self.state.lock:
            event = self.state.find("event", delivery.event_id)
            endpoint = self.state.find("webhook_endpoint", delivery.endpoint_id)
            if event is None or endpoint is None:
                return
            payload = json.dumps(public(event), indent=2)
            secret = endpoint["_secret"]
            url = endpoint["url"]
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": sign_payload(payload, secret, timestamp),
        }
        status: int | None = None
        error: str | None = None
        try:
            response = self._session.post(
                url, data=payload.encode(), headers=headers, timeout=self.delivery_timeout
            )
            status = response.status_code
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
        succeeded = status is not None and 200 <= status < 300
        with self.state.lock:
            self.attempts.append(
                {
                    "event": delivery.event_id,
                    "type": event["type"],
                    "endpoint": delivery.endpoint_id,
                    "url": url,
                    "attempt": delivery.attempt,
                    "status": status,
                    "error": error,
                    "succeeded": succeeded,
                    "at": timestamp,
                }
            )
            live_event = self.state.find("event", delivery.event_id)
            if succeeded and live_event is not None:
                live_event["pending_webhooks"] = max(0, live_event["pending_webhooks"] - 1)
                self.state.mark_dirty()
        if succeeded:
            return
        if delivery.attempt <= len(self.retry_delays):
            delay = self.retry_delays[delivery.attempt - 1]
            with self._condition:
                heapq.heappush(
                    self._queue,
                    _Delivery(
                        time.monotonic() + delay,
                        next(self._sequence),
                        delivery.event_id,
                        delivery.endpoint_id,
                        delivery.attempt + 1,
                    ),
                )
                self._condition.notify_all()
        else:
            logger.warning(
                "Gave up delivering %s to %s after %s attempts",
                delivery.event_id,
                url,
                delivery.attempt,
            )


class HeldEvent(NamedTuple):
    event_type: str
    snapshot: dict[str, Any]
    created: int
    previous: dict[str, Any] | None


class EventLog:
    """Turns changes into events (under the state lock) and hands them to the dispatcher."""

    def __init__(self, state: State, dispatcher: WebhookDispatcher) -> None:
        self.state = state
        self.dispatcher = dispatcher
        # Set by the server for the request being handled, so events name their request.
        self.request: dict[str, Any] = {"id": None, "idempotency_key": None}
        self._held: list[list[HeldEvent]] = []

    @contextmanager
    def held(self) -> Iterator[list[HeldEvent]]:
        """Hold the events emitted inside, so the caller can put others before them."""
        bucket: list[HeldEvent] = []
        self._held.append(bucket)
        try:
            yield bucket
        finally:
            self._held.pop()

    def release(self, held: list[HeldEvent]) -> None:
        for item in held:
            self.emit(item.event_type, item.snapshot, created=item.created, previous=item.previous)

    def emit(
        self,
        event_type: str,
        snapshot: dict[str, Any],
        *,
        created: int,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        if self._held:
            self._held[-1].append(HeldEvent(event_type, snapshot, created, previous))
            return None
        event = objects.event(
            created=created,
            event_type=event_type,
            data_object=public(snapshot),
            previous_attributes=public(previous) if previous is not None else None,
            request=dict(self.request),
        )
        endpoints = [
            endpoint
            for endpoint in self.state.all("webhook_endpoint")
            if endpoint["status"] == "enabled"
            and ("*" in endpoint["enabled_events"] or event_type in endpoint["enabled_events"])
        ]
        # Oldest endpoint first, so deliveries follow the order endpoints were added.
        endpoints.reverse()
        event["pending_webhooks"] = len(endpoints)
        self.state.add(event)
        for endpoint in endpoints:
            self.dispatcher.enqueue(event["id"], endpoint["id"])
        return event

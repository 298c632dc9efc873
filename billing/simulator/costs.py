"""What real Stripe costs a client: time on every API call, and Stripe's rate limits.

Both are off until `/_sim/settings` turns them on: `latency_ms` is added to every /v1 call, and
`rate_limit` ("test": 25 requests a second, "live": 100) refuses the calls past the limit in any
rolling second with Stripe's 429. The latency is spent before the request takes the state's lock,
so concurrent requests overlap as they do at Stripe; the window counts every /v1 request.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from .errors import StripeApiError
from .ids import new_request_id
from .objects import API_VERSION

if TYPE_CHECKING:
    from .server import SimulatorHandler
    from .store import State

# Stripe's basic rate limiter: requests per second per account (docs: "Rate limits").
RATES = {"test": 25, "live": 100}
WINDOW_SECONDS = 1.0
DEFAULT_SETTINGS: dict[str, Any] = {"latency_ms": 0, "rate_limit": None}


class RateLimited(StripeApiError):
    status = 429

    def __init__(self) -> None:
        super().__init__(
            "Request rate limit exceeded. You can learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
            code="rate_limit",
        )


def check_settings(payload: dict[str, Any]) -> None:
    """Refuse (ValueError) a latency or a rate limit the simulator cannot apply."""
    if "latency_ms" in payload:
        latency = payload["latency_ms"]
        if isinstance(latency, bool) or not isinstance(latency, int | float) or latency < 0:
            raise ValueError("latency_ms must be a number of milliseconds, 0 or more")
    if "rate_limit" in payload and payload["rate_limit"] not in (None, *RATES):
        raise ValueError("rate_limit must be test, live or null")


class Costs:
    """The latency and the rolling window of admitted requests; counts what it served."""

    def __init__(self, state: State) -> None:
        self.state = state
        self._lock = threading.Lock()
        self._admitted: deque[float] = deque()
        self.served = 0  # /v1 requests answered, refused ones included
        self.rate_limited = 0

    def refused(self, handler: SimulatorHandler) -> bool:
        """Spend the call's latency, then admit it or answer 429 (True: answered here)."""
        latency_ms = self.state.settings.get("latency_ms") or 0
        if latency_ms:
            time.sleep(latency_ms / 1000)
        if self._admit():
            return False
        handler._body()  # read, so the next request on this connection starts clean
        request_id = new_request_id()
        headers = {
            "Request-Id": request_id,
            "Stripe-Version": API_VERSION,
            "Stripe-Should-Retry": "true",
        }
        handler._send_json(RateLimited.status, RateLimited().body(request_id), headers)
        return True

    def _admit(self) -> bool:
        limit = RATES.get(self.state.settings.get("rate_limit"))
        with self._lock:
            self.served += 1
            if limit is None:
                return True
            now = time.monotonic()
            while self._admitted and self._admitted[0] <= now - WINDOW_SECONDS:
                self._admitted.popleft()
            if len(self._admitted) >= limit:
                self.rate_limited += 1
                return False
            self._admitted.append(now)
            return True

"""Stripe simulator: a local, stateful server speaking Stripe's HTTP API for LogiNexus.

Start it as a process::

    python -m billing.simulator [--host 127.0.0.1] [--port 12111] [--state-file PATH]
                                [--webhook-url URL [--webhook-secret whsec_...]]

or in-process (tests, the dev runner)::

    from billing.simulator import start_simulator, DEMO_SECRET_KEY
    sim = start_simulator(port=0)          # sim.url == "http://127.0.0.1:<port>"
    client = stripe.StripeClient(DEMO_SECRET_KEY, base_addresses={"api": sim.url})
    ...
    sim.stop()

Point the product at it with ``stripe.api_base = sim.url`` and any ``sk_test_`` key.

Hosted pages (URLs the API hands out): ``/checkout/<cs_id>`` (POST ``outcome=pay|decline|cancel``),
``/portal/<bps_id>`` (POST ``action=switch_plan|cancel|resume|update_card``), ``/invoices/<in_id>``
(POST ``card=pm_card_visa`` pays) and ``/invoices/<in_id>/pdf``.

Controls (JSON, no auth) — see README.md beside this file:

- ``GET  /_sim/health``
- ``POST /_sim/reset``                      forget everything (account and portal config re-made)
- ``POST /_sim/advance``  ``{"days": 30, "payment": "auto"|"succeed"|"fail"}``
- ``POST /_sim/faults``   ``{"mode": "500"|"timeout"|"reset", "count": 1|null, "hold_seconds": 30,
  "after": 0}``  (``after``: requests let through before the fault begins)
- ``DELETE /_sim/faults``
- ``POST /_sim/webhook_endpoints`` ``{"url", "secret"?, "enabled_events"?}`` → endpoint with secret
- ``GET  /_sim/webhook_deliveries``         every delivery attempt
- ``POST /_sim/webhooks/wait`` ``{"timeout": 10}`` blocks until no delivery is pending
- ``GET|POST /_sim/settings`` ``{"payment_retry_days": [3, 5, 7],
  "after_final_payment_failure": "cancel"|"unpaid", "latency_ms": 0,
  "rate_limit": null|"test"|"live"}``  (latency per API call, Stripe's 25 or 100 requests/s)
- ``GET  /_sim/time``
"""

from .app import Simulator, start_simulator
from .events import sign_payload
from .objects import API_VERSION

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 12111
# Shaped like real keys because dj-stripe refuses keys that are not (sk_test_ + 24+ chars).
DEMO_SECRET_KEY = "sk_test_51LoGiNexusDemoSimulatorKey000000000000"  # noqa: S105 (test-mode demo key)
DEMO_PUBLISHABLE_KEY = "pk_test_51LoGiNexusDemoSimulatorKey000000000000"

__all__ = [
    "API_VERSION",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEMO_PUBLISHABLE_KEY",
    "DEMO_SECRET_KEY",
    "Simulator",
    "sign_payload",
    "start_simulator",
]

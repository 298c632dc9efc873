"""How fast LogiNexus calls Stripe: its 429s retried with backoff, and background work kept to a
share of the rate budget, so a user's checkout never waits behind a webhook backlog.

Every call of the stripe library (dj-stripe's included) goes through `PacedHttpClient`. A call
made inside `background()` (webhook processing, reconciliation) first takes a slot from a bucket
in Redis that every process shares, refilled at STRIPE_BACKGROUND_RATE_PER_SECOND; other calls
never wait for it. A 429 is retried with jittered exponential backoff (unless Stripe says not
to): a user-facing call for at most STRIPE_RATE_LIMITED_WAIT_SECONDS, then it fails and the
boundary answers 503; a background call for longer, then its task retries later.
"""

import contextvars
import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import redis
import stripe
from django.conf import settings

logger = logging.getLogger(__name__)

_in_background = contextvars.ContextVar("stripe_calls_in_background", default=False)


@contextmanager
def background() -> Iterator[None]:
    """Calls to Stripe made inside are background work: paced to their share of the rate."""
    token = _in_background.set(True)
    try:
        yield
    finally:
        _in_background.reset(token)


@dataclass(frozen=True)
class RateLimitRetries:
    first_delay: float  # seconds before the first retry; doubled for each next one
    max_delay: float
    patience: float  # seconds after the first attempt past which no retry starts


BACKGROUND_RETRIES = RateLimitRetries(first_delay=0.5, max_delay=8.0, patience=30.0)


def _user_facing_retries() -> RateLimitRetries:
    return RateLimitRetries(
        first_delay=0.25, max_delay=1.0, patience=settings.STRIPE_RATE_LIMITED_WAIT_SECONDS
    )


# One slot per call, `interval` milliseconds apart, on Redis's clock: the caller is told how long
# to wait for the slot it was given (the generic cell rate algorithm, without a burst).
_TAKE_SLOT = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + tonumber(now[2]) / 1000
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now_ms then slot = now_ms end
local next_slot = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.3f', next_slot),
           'PX', math.ceil(next_slot - now_ms) + 1000)
return math.floor(slot - now_ms)
"""


@cache
def _slot_script(redis_url: str):
    client = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
    return client.register_script(_TAKE_SLOT)


def background_slot_wait() -> float:
    """Take the next background slot; the seconds to wait for it (0 when not throttled)."""
    rate = settings.STRIPE_BACKGROUND_RATE_PER_SECOND
    if rate <= 0:
        return 0.0
    key = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:stripe:background-slot"
    try:
        waited_ms = _slot_script(settings.REDIS_URL)(keys=[key], args=[1000.0 / rate])
    except redis.RedisError as error:
        # Pacing is a courtesy to user-facing calls; without Redis, work goes on unpaced.
        logger.warning("Background Stripe calls go unpaced: %r", error)
        return 0.0
    return max(0, int(waited_ms)) / 1000


def _retry_allowed(answer: tuple) -> bool:
    _, status, headers = answer
    return status == 429 and (headers or {}).get("Stripe-Should-Retry") != "false"


class PacedHttpClient(stripe.RequestsClient):
    """The requests client of the stripe library, paced and patient with 429s."""

    def request(self, method, url, headers, post_data=None):
        in_background = _in_background.get()
        retries = BACKGROUND_RETRIES if in_background else _user_facing_retries()
        give_up_at = time.monotonic() + retries.patience
        delay = retries.first_delay
        while True:
            if in_background:
                time.sleep(background_slot_wait())
            answer = super().request(method, url, headers, post_data)
            if not _retry_allowed(answer):
                return answer
            pause = delay * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not a secret)
            if time.monotonic() + pause > give_up_at:
                logger.warning("Stripe still rate limits %s %s; giving up", method, url)
                return answer
            time.sleep(pause)
            delay = min(delay * 2, retries.max_delay)

    def _should_retry(self, response, api_connection_error, num_retries, max_network_retries):
        # The library would retry a 429 once more (max_network_retries): `request` already spent
        # the time this call may wait for the rate limit.
        if response is not None and response[1] == 429:
            return False
        return super()._should_retry(
            response, api_connection_error, num_retries, max_network_retries
        )

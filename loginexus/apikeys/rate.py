"""Each API key's requests counted against API_KEY_RATE in Redis, per fixed window: one round
trip a request (a pipeline that opens the window if it is new, counts, and reads what is left
of the window), where counting through the cache takes two."""

from functools import cache

import redis
from django.conf import settings

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """ "600/m" → (600, 60); "10/5s" → (10, 5): requests and the window's seconds."""
    count, _, period = rate.partition("/")
    unit = period[-1:].lower()
    if not count.isdigit() or unit not in _SECONDS or not (period[:-1] or "1").isdigit():
        raise ValueError(f"A rate is <requests>/<period>, e.g. 600/m: {rate!r}")
    return int(count), int(period[:-1] or 1) * _SECONDS[unit]


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def api_key_request_counted(*, prefix: str) -> int | None:
    """Count a request of the key whose prefix is `prefix`: None while it is within its rate,
    else the seconds until its window ends (for Retry-After)."""
    limit, window = rate_parse(settings.API_KEY_RATE)
    name = f"loginexus:api-key-rate:{prefix}"
    pipeline = _redis(settings.REDIS_URL).pipeline(transaction=False)
    pipeline.set(name, 0, ex=window, nx=True)
    pipeline.incr(name)
    pipeline.ttl(name)
    _, count, seconds_left = pipeline.execute()
    if count <= limit:
        return None
    return max(1, seconds_left)

"""Time as the simulator sees it: a shifted system clock plus Stripe's test clocks."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime


def system_time(offset_seconds: int) -> int:
    """Wall-clock time moved forward by what ``/_sim/advance`` has added."""
    return int(time.time()) + offset_seconds


def add_interval(timestamp: int, interval: str, count: int, anchor_day: int | None = None) -> int:
    """The end of a billing period of ``count`` ``interval``s starting at ``timestamp``.

    Months keep the anchor's day of month where the month has it (Jan 31 → Feb 28 → Mar 31),
    as Stripe's billing cycle anchor does.
    """
    start = datetime.fromtimestamp(timestamp, tz=UTC)
    if interval == "day":
        return timestamp + 86400 * count
    if interval == "week":
        return timestamp + 7 * 86400 * count
    months = count if interval == "month" else 12 * count
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(anchor_day or start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())

"""The route table: Stripe API paths mapped to the functions that answer them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Handler = Callable[..., dict[str, Any]]

_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register ``pattern`` (``/v1/customers/{customer}``) for ``method``."""
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

    def register(handler: Handler) -> Handler:
        _ROUTES.append((method, regex, handler))
        return handler

    return register


def match(method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
    for route_method, regex, handler in _ROUTES:
        if route_method != method:
            continue
        found = regex.match(path)
        if found:
            return handler, found.groupdict()
    return None


def registered() -> list[tuple[str, str, Handler]]:
    """Every route as ``(method, pattern, handler)``, in the order they were registered."""
    return [
        (method, re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", r"{\1}", regex.pattern[1:-1]), handler)
        for method, regex, handler in _ROUTES
    ]

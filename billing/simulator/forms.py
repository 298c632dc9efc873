"""Parse Stripe's form-encoded bracket syntax (``items[0][price]=…``) into nested values."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from .errors import InvalidParameter
from .params import check_metadata_size


def parse_form(body: str) -> dict[str, Any]:
    """Turn ``a[b][0][c]=1&expand[]=x`` into ``{"a": {"b": [{"c": "1"}]}, "expand": ["x"]}``.

    Numeric keys become list positions because Stripe's clients encode arrays as ``k[0]``,
    ``k[1]`` …; ``k[]`` appends, which is how ``expand[]`` arrives.
    """
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        _assign(root, _split_key(key), value)
    return _lists_from_index_dicts(root)


def _split_key(key: str) -> list[str]:
    head, sep, rest = key.partition("[")
    parts = [head]
    if not sep:
        return parts
    rest = "[" + rest
    while rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise InvalidParameter(f"Invalid parameter name: {key}", param=key)
        parts.append(rest[1:end])
        rest = rest[end + 1 :]
    return parts


def _assign(node: dict[str, Any], parts: list[str], value: str) -> None:
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if part == "":
            # ``k[]`` — an append marker; store under a growing synthetic index.
            part = str(len(node))
        if last:
            node[part] = value
            return
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child


def _lists_from_index_dicts(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {key: _lists_from_index_dicts(child) for key, child in value.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def as_bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "True", "1"):
        return True
    if value in ("false", "False", "0"):
        return False
    raise InvalidParameter(f"Invalid boolean: {value}", param=param)


def as_int(value: Any, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidParameter(
            f"Invalid integer: {value}", code="parameter_invalid_integer", param=param
        ) from None


def as_list(value: Any, param: str) -> list[Any]:
    """Accept ``k[0]=a`` / ``k[]=a`` (a list) and a bare ``k=a`` (one value)."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        raise InvalidParameter(f"Invalid array for {param}", param=param)
    return [value]


def as_metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise InvalidParameter("Invalid object", param=param)
    return {str(key): str(item) for key, item in value.items()}


def merge_metadata(current: dict[str, str], update: Any) -> dict[str, str]:
    """Stripe merges metadata on update; an empty string value deletes that key."""
    if update == "":
        return {}
    merged = dict(current)
    for key, item in as_metadata(update).items():
        if item == "":
            merged.pop(key, None)
        else:
            merged[key] = item
    check_metadata_size(len(merged))
    return merged

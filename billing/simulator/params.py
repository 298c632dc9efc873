"""Stripe's checks of a request's parameters against the types Stripe's spec gives them: unknown
parameters, wrong types, values outside an enum, empty strings, missing required parameters,
metadata limits, and parameters Stripe accepts that the simulator does not simulate."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from .errors import InvalidRequest, MissingParam
from .stripe_spec import Field, ParamType, fields_of

METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 500

_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?(\d+\.?\d*|\.\d+)")
# The message each scalar type answers a value it cannot read with, in the order tried.
_SCALAR_ERRORS = {
    "integer": ("Invalid integer: {}", "parameter_invalid_integer"),
    "decimal": ("Invalid decimal: {}", None),
    "float": ("Invalid float: {}", None),
    "boolean": ("Invalid boolean: {}", None),
    "string": ("Invalid string: {}", None),
}


def _reads(scalar: str, value: str) -> bool:
    if scalar in ("string", "any"):
        return True
    if scalar == "integer":
        return bool(_INTEGER.fullmatch(value))
    if scalar in ("decimal", "float"):
        return bool(_DECIMAL.fullmatch(value))
    if scalar == "boolean":
        return value in ("true", "false")
    return False


def _inspect(value: Any) -> str:
    """A value written the way Stripe's messages quote it (``{"a"=>"b"}``, ``["a", "b"]``)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f'"{k}"=>{_inspect(v)}' for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inspect(v) for v in value) + "]"
    return f'"{value}"'


def _one_of(values: Collection[str]) -> str:
    values = list(values)
    if len(values) <= 2:
        return " or ".join(values)
    return ", ".join(values[:-1]) + f", or {values[-1]}"


class Coverage:
    """Which parameters of a route the simulator simulates: dotted paths (``line_items.price``,
    list positions left out), each covering everything below it."""

    def __init__(self, simulated: Collection[str]) -> None:
        self.simulated = frozenset(simulated) | {"expand"}

    def covers(self, path: str) -> bool:
        parts = path.split(".")
        return any(".".join(parts[: n + 1]) in self.simulated for n in range(len(parts)))

    def leads_into(self, path: str) -> bool:
        return any(s.startswith(path + ".") for s in self.simulated)


def check_params(
    fields: Mapping[str, Field], params: Mapping[str, Any], coverage: Coverage
) -> None:
    """Raise Stripe's error for the first parameter Stripe, or the simulator, would refuse."""
    _check_object(fields, params, name="", path="", coverage=coverage)


def _check_object(
    fields: Mapping[str, Field],
    value: Mapping[str, Any],
    *,
    name: str,
    path: str,
    coverage: Coverage | None,
) -> None:
    for key, child in value.items():
        param = f"{name}[{key}]" if name else key
        field = fields.get(key)
        if field is None:
            raise InvalidRequest(
                f"Received unknown parameter: {param}", code="parameter_unknown", param=param
            )
        child_path = f"{path}.{key}" if path else key
        covered = coverage is None or coverage.covers(child_path)
        # Only part of it simulated: the parts are checked one by one below.
        partly = not covered and coverage is not None and coverage.leads_into(child_path)
        _check_value(
            field.type, child, param=param, path=child_path, coverage=coverage if partly else None
        )
        if not covered and not (partly and isinstance(child, dict | list)):
            raise InvalidRequest(
                f"Received parameter {param}, which Stripe accepts but which is not simulated.",
                code="parameter_unknown",
                param=param,
            )
    for key, field in fields.items():
        if field.required and key not in value:
            raise MissingParam(f"{name}[{key}]" if name else key)


def _check_value(
    kind: ParamType, value: Any, *, param: str, path: str, coverage: Coverage | None
) -> None:
    if value == "":
        if not kind.emptiable:
            raise InvalidRequest(
                f"You passed an empty string for '{param}'. We assume empty values are an "
                f"attempt to unset a parameter; however '{param}' cannot be unset. You should "
                f"remove '{param}' from your request or supply a non-empty value.",
                code="parameter_invalid_empty",
                param=param,
            )
        return
    if isinstance(value, dict):
        if kind.fields is not None:
            _check_object(fields_of(kind.fields), value, name=param, path=path, coverage=coverage)
        elif kind.values is not None:
            _check_map(kind.values, value, param=param, path=path)
        elif kind.items is not None:
            raise InvalidRequest("Invalid array", param=param)
        else:
            _refuse_scalar(kind, _inspect(value), param)
        return
    if isinstance(value, list):
        if kind.items is not None:
            for index, item in enumerate(value):
                _check_value(
                    kind.items, item, param=f"{param}[{index}]", path=path, coverage=coverage
                )
        elif kind.fields is not None or kind.values is not None:
            raise InvalidRequest("Invalid object", param=param)
        else:
            _refuse_scalar(kind, _inspect(value), param)
        return
    if value in kind.enum or any(_reads(scalar, value) for scalar in kind.scalars):
        return
    if kind.enum and not kind.scalars:
        raise InvalidRequest(f"Invalid {param}: must be one of {_one_of(kind.enum)}", param=param)
    if kind.scalars:
        _refuse_scalar(kind, value, param)
    raise InvalidRequest(
        "Invalid array" if kind.items is not None else "Invalid object", param=param
    )


def _refuse_scalar(kind: ParamType, shown: str, param: str) -> None:
    for scalar, (message, code) in _SCALAR_ERRORS.items():
        if scalar in kind.scalars:
            raise InvalidRequest(message.format(shown), code=code, param=param)
    raise InvalidRequest(f"Invalid {param}: must be one of {_one_of(kind.enum)}", param=param)


def _check_map(values: ParamType, value: Mapping[str, Any], *, param: str, path: str) -> None:
    """A map of free keys; ``metadata`` has Stripe's limits on keys and values."""
    is_metadata = path.rsplit(".", 1)[-1] == "metadata"
    if is_metadata:
        check_metadata_size(sum(1 for v in value.values() if v != ""), param)
    for key, item in value.items():
        if is_metadata and len(key) > METADATA_MAX_KEY_LENGTH:
            raise InvalidRequest(
                f"Invalid key: {key} must be a string under {METADATA_MAX_KEY_LENGTH} characters",
                param=param,
            )
        if is_metadata and not isinstance(item, str):
            raise InvalidRequest(
                f"Invalid val: {_inspect(item)} must be a string under "
                f"{METADATA_MAX_VALUE_LENGTH} characters",
                param=param,
            )
        if is_metadata and len(item) > METADATA_MAX_VALUE_LENGTH:
            raise InvalidRequest(
                f"Invalid val: {item} must be a string under {METADATA_MAX_VALUE_LENGTH} "
                "characters",
                param=param,
            )
        if item != "":
            _check_value(values, item, param=f"{param}[{key}]", path=path, coverage=None)


def check_metadata_size(count: int, param: str = "metadata") -> None:
    if count > METADATA_MAX_KEYS:
        raise InvalidRequest(
            f"Metadata can have up to {METADATA_MAX_KEYS} keys, but you've set {count}. Email "
            "us at support+metadata@stripe.com for more information.",
            param=param,
        )

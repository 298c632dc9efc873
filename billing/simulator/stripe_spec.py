"""Stripe's API as the stripe library's generated code states it: each endpoint's parameter types
(``stripe.params``), its answer (``stripe.Customer``, ``ListObject[Invoice]``, …) and each
resource's fields. Read once, when first asked, and kept."""

from __future__ import annotations

import ast
import functools
import importlib
import pathlib
import re
import sys
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import stripe
import typing_extensions
from stripe._list_object import ListObject
from stripe._request_options import RequestOptions
from stripe._stripe_object import StripeObject, UntypedStripeObject

# -- endpoints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What an endpoint answers: one of ``resources``, or a list of them."""

    resources: tuple[type[StripeObject], ...]
    listing: bool


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    params: type
    answer: Answer


@dataclass(frozen=True)
class _Declared:
    """An endpoint as its service method declares it, names not yet imported."""

    method: str
    path: str
    params: str
    answer: str
    imports: Mapping[str, tuple[str, str]]


def _template(path: str) -> str:
    """``/v1/customers/{customer}`` and ``/v1/customers/{id}`` name the same endpoint."""
    return re.sub(r"\{\w+\}", "{}", path)


def _imports(tree: ast.Module, package: str) -> dict[str, tuple[str, str]]:
    """Every ``from x import Name as Alias`` of a module, ``TYPE_CHECKING`` ones included."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = node.module if node.level == 0 else f"{package}.{node.module}"
            for alias in node.names:
                found[alias.asname or alias.name] = (module, alias.name)
    return found


def _resolve(imports: Mapping[str, tuple[str, str]], name: str) -> Any:
    module, attribute = imports[name]
    return getattr(importlib.import_module(module), attribute)


def _annotation_text(node: ast.expr | None) -> str | None:
    """The class named by ``Optional["XParams"]``, ``"XParams"`` or ``"ListObject[X]"``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Subscript):
        return _annotation_text(node.slice)
    return None


def _request_call(function: ast.FunctionDef) -> tuple[str, str] | None:
    """The method and path of the ``self._request("post", "/v1/…".format(…))`` a method makes."""
    for node in ast.walk(function):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "_request"
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Constant)
        ):
            continue
        path = node.args[1]
        if isinstance(path, ast.Call) and isinstance(path.func, ast.Attribute):
            path = path.func.value
        if isinstance(path, ast.Constant) and isinstance(path.value, str):
            return str(node.args[0].value).upper(), path.value
    return None


def _answer(text: str, imports: Mapping[str, tuple[str, str]]) -> Answer:
    node = ast.parse(text, mode="eval").body
    listing = False
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        listing = node.value.id == "ListObject"
        node = node.slice
    names = node.elts if isinstance(node, ast.Tuple) else [node]
    return Answer(
        tuple(_resolve(imports, name.id) for name in names if isinstance(name, ast.Name)), listing
    )


@functools.cache
def _declared() -> dict[tuple[str, str], _Declared]:
    """Every v1 endpoint of the library's services, by method and path template."""
    root = pathlib.Path(stripe.__file__).parent
    found: dict[tuple[str, str], _Declared] = {}
    for source in sorted(root.rglob("_*_service.py")):
        relative = source.relative_to(root.parent).with_suffix("")
        if "v2" in relative.parts:
            continue
        package = ".".join(relative.parts[:-1])
        tree = ast.parse(source.read_text(encoding="utf-8"))
        imports = _imports(tree, package)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            call = _request_call(node)
            params = next((a for a in node.args.args if a.arg == "params"), None)
            params_name = _annotation_text(params.annotation) if params else None
            answer_text = _annotation_text(node.returns)
            if call is None or params_name is None or answer_text is None:
                continue
            method, path = call
            found[(method, _template(path))] = _Declared(
                method, path, params_name, answer_text, imports
            )
    return found


@functools.cache
def endpoint(method: str, path: str) -> Endpoint | None:
    """Stripe's endpoint at ``path`` (a template such as ``/v1/customers/{customer}``)."""
    declared = _declared().get((method, _template(path)))
    if declared is None:
        return None
    return Endpoint(
        declared.method,
        declared.path,
        _resolve(declared.imports, declared.params),
        _answer(declared.answer, declared.imports),
    )


# -- parameter types ------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamType:
    """What one parameter accepts, from its annotation (a union of these)."""

    enum: tuple[str, ...] = ()  # Literal values
    emptiable: bool = False  # Literal['']: an empty string unsets it
    scalars: frozenset[str] = frozenset()  # "string", "integer", "boolean", "float", "decimal"
    fields: type | None = None  # a TypedDict: an object of named parameters
    values: ParamType | None = None  # Dict[str, X]: an object of free keys (metadata)
    items: ParamType | None = None  # List[X]


@dataclass(frozen=True)
class Field:
    type: ParamType
    required: bool


SCALARS: dict[Any, str] = {
    str: "string",
    int: "integer",
    bool: "boolean",
    float: "float",
    Decimal: "decimal",
}


def _members(hint: Any) -> list[Any]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(hint) for m in _members(arg)]
    return [hint]


def param_type(hint: Any) -> ParamType:
    enum: list[str] = []
    emptiable = False
    scalars: set[str] = set()
    fields = values = items = None
    for member in _members(hint):
        origin = typing.get_origin(member)
        if origin is typing.Literal:
            for value in typing.get_args(member):
                if value == "":
                    emptiable = True
                else:
                    enum.append(str(value))
        elif member in SCALARS:
            scalars.add(SCALARS[member])
        elif origin is list:
            items = param_type(typing.get_args(member)[0])
        elif origin is dict:
            values = param_type(typing.get_args(member)[1])
        elif origin is UntypedStripeObject:
            values = values or param_type(typing.get_args(member)[0])
        elif typing_extensions.is_typeddict(member):
            fields = member
        elif member is Any:
            scalars.add("any")
        else:
            raise TypeError(f"Unexpected parameter type {member!r} in {hint!r}")
    if enum:
        # The library adds ``|str`` to every enum so that new values do not break old clients;
        # Stripe's spec, and Stripe, accept only the listed values.
        scalars.discard("string")
    return ParamType(tuple(enum), emptiable, frozenset(scalars), fields, values, items)


@functools.cache
def fields_of(params_class: type) -> dict[str, Field]:
    """The parameters a ``TypedDict`` of ``stripe.params`` names, with their types."""
    annotations = dict(params_class.__annotations__)
    options = RequestOptions.__annotations__
    if options.keys() <= annotations.keys():
        # ``…CreateParams`` classes extend the library's per-request options (api_key, …),
        # which travel as headers, never as parameters.
        annotations = {k: v for k, v in annotations.items() if k not in options}
    holder = type(
        params_class.__name__, (), {"__annotations__": annotations, "__module__": "holder"}
    )
    namespace = vars(sys.modules[params_class.__module__])
    hints = typing.get_type_hints(holder, globalns=namespace)
    required = params_class.__required_keys__
    return {name: Field(param_type(hint), name in required) for name, hint in hints.items()}


# -- resources ------------------------------------------------------------------------------


@functools.cache
def _module_imports(module_name: str) -> dict[str, tuple[str, str]]:
    module = sys.modules[module_name]
    source = pathlib.Path(module.__file__ or "").read_text(encoding="utf-8")
    return _imports(ast.parse(source), module_name.rpartition(".")[0])


def _forward(ref: typing.ForwardRef, owner: type) -> Any:
    name = ref.__forward_arg__
    namespace = vars(sys.modules[owner.__module__])
    if name in namespace:
        return namespace[name]
    return _resolve(_module_imports(owner.__module__), name)


@dataclass(frozen=True)
class ResourceField:
    """A field of a resource (or of an object nested in one), as it matters to ``expand[]``."""

    expandable: bool  # an id that expands into one of ``targets``
    targets: tuple[type, ...]  # the classes met below it (expanded, nested or listed)
    listing: bool  # a ListObject: ``data`` comes next


@functools.cache
def resource_fields(cls: type) -> dict[str, ResourceField]:
    """The fields a resource class declares (``stripe.Customer.email``, …), ClassVars aside."""
    found = {}
    for name, annotation in cls.__annotations__.items():
        if typing.get_origin(annotation) is typing.ClassVar:
            continue
        found[name] = _resource_field(annotation, cls)
    return found


def _resource_field(annotation: Any, owner: type) -> ResourceField:
    if isinstance(annotation, str):
        annotation = typing.ForwardRef(annotation)
    members = [m for m in _members(annotation) if m is not type(None)]
    listing = False
    expandable = False
    if len(members) == 1 and typing.get_origin(members[0]) in (list, ListObject):
        listing = typing.get_origin(members[0]) is ListObject
        members = [m for m in _members(typing.get_args(members[0])[0]) if m is not type(None)]
    targets = []
    for member in members:
        if isinstance(member, typing.ForwardRef):
            member = _forward(member, owner)
        if member is str:
            expandable = True
        elif isinstance(member, type) and issubclass(member, StripeObject):
            targets.append(member)
    return ResourceField(expandable and bool(targets), tuple(targets), listing)


def object_name(cls: type) -> str | None:
    return getattr(cls, "OBJECT_NAME", None)


def resource_class(name: str) -> type | None:
    """The class of an ``object`` value (``"checkout.session"`` → ``stripe.checkout.Session``)."""
    from stripe._object_classes import OBJECT_CLASSES

    if name not in OBJECT_CLASSES:
        return None
    module, class_name = OBJECT_CLASSES[name]
    return getattr(importlib.import_module(module), class_name)

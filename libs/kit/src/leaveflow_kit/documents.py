"""Dataclass <-> store document conversion, so services keep typed records on a JSON store.

Dates and datetimes become ISO strings and Decimals strings (exact); reading back uses the
dataclass's type hints. Shared because every service stores dataclasses the same way.
Reading is on every hot path, so each class's field converters are worked out once.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")
Converter = Callable[[Any], Any]


def to_doc(obj: Any) -> dict[str, Any]:
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"{obj!r} is not a dataclass instance")
    return {f.name: _dump(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def _dump(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_doc(value)
    return value


def _identity(value: Any) -> Any:
    return value


def _optional(inner: Converter) -> Converter:
    def convert(value: Any) -> Any:
        return None if value is None else inner(value)

    return convert


def _list_of(inner: Converter) -> Converter:
    def convert(value: Any) -> Any:
        return None if value is None else [inner(v) for v in value]

    return convert


def _converter(hint: Any) -> Converter:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _optional(_converter(args[0])) if len(args) == 1 else _identity
    if origin in (list, tuple):
        (arg, *_) = typing.get_args(hint) or (Any,)
        inner = _converter(arg)
        return _identity if inner is _identity else _list_of(inner)
    if hint is datetime:
        return _optional(datetime.fromisoformat)
    if hint is date:
        return _optional(date.fromisoformat)
    if hint is Decimal:
        return _optional(Decimal)
    if dataclasses.is_dataclass(hint):
        target: Any = hint
        return _optional(lambda v: from_doc(target, v))
    return _identity


@cache
def _converters(cls: Any) -> dict[str, Converter]:
    hints = typing.get_type_hints(cls)
    return {f.name: _converter(hints[f.name]) for f in dataclasses.fields(cls)}


def from_doc(cls: type[T], doc: dict[str, Any]) -> T:
    converters = _converters(typing.cast(Any, cls))
    return cls(**{k: converters[k](v) for k, v in doc.items() if k in converters})

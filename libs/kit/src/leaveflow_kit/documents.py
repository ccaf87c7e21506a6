"""Dataclass <-> store document conversion, so services keep typed records on a JSON store.

Dates and datetimes become ISO strings and Decimals strings (exact); reading back uses the
dataclass's type hints. Shared because every service stores dataclasses the same way.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def to_doc(obj: Any) -> dict[str, Any]:
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"{obj!r} is not a dataclass instance")
    return {f.name: _dump(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def _dump(value: Any) -> Any:
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


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_doc(cls: type[T], doc: dict[str, Any]) -> T:
    target: Any = cls
    hints = _hints(target)
    names = {f.name for f in dataclasses.fields(target)}
    kwargs = {k: _load(hints[k], v) for k, v in doc.items() if k in names}
    return cls(**kwargs)


def _load(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _load(args[0], value) if len(args) == 1 else value
    if origin in (list, tuple):
        (arg, *_) = typing.get_args(hint) or (Any,)
        return [_load(arg, v) for v in value]
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if hint is Decimal:
        return Decimal(value)
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return from_doc(hint, value)  # type: ignore[arg-type]
    return value

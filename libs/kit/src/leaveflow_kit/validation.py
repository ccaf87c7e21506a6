"""Bounded input types for pydantic models and query parameters at the HTTP edge.

    class LeaveIn(BaseModel):
        start_date: BoundedDate
        timezone: IanaZone = "UTC"
        name: Annotated[str, Text(200)]
        reason: Annotated[str | None, Text(2000, multiline=True)] = None

Each refuses with a pydantic error on its own field (so a 422 naming it), never by an
exception deeper in: a year-9999 date overflows date arithmetic later, a 300-character
zone name makes `ZoneInfo` ask the file system (`OSError: File name too long`), a NUL or
a lone surrogate breaks storage or JSON encoding.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import annotated_types
from pydantic import AfterValidator, StringConstraints

__all__ = ["KNOWN_ZONES", "MAX_DATE", "MIN_DATE", "BoundedDate", "IanaZone", "Text"]

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(9000, 12, 31)

# Once, at import: membership in a set answers per request without touching the disk.
KNOWN_ZONES: frozenset[str] = frozenset(zoneinfo.available_timezones()) | {"UTC"}
ZONE_MAX_LENGTH = 64


def _bounded_date(value: date) -> date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}")
    return value


def _known_zone(value: str) -> str:
    if value not in KNOWN_ZONES:
        raise ValueError("must be an IANA time zone such as Europe/Berlin or UTC")
    return value


BoundedDate = Annotated[date, AfterValidator(_bounded_date)]
IanaZone = Annotated[
    str, StringConstraints(max_length=ZONE_MAX_LENGTH), AfterValidator(_known_zone)
]

# C0 and C1 controls, DEL, and lone surrogates (valid in JSON's \u escapes, not in UTF-8).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _no_control(value: Any) -> Any:
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _no_control_but_lines(value: Any) -> Any:
    if isinstance(value, str) and _CONTROL_BUT_LINES.search(value):
        raise ValueError("must not contain control characters other than tabs and line breaks")
    return value


@dataclass(frozen=True)
class Text(annotated_types.GroupedMetadata):
    """`Annotated[str, Text(200)]`: at most `max_length` characters (and at least
    `min_length`), no control characters; `multiline=True` allows tabs and line breaks.
    Also on `str | None`: None passes, as the annotation says."""

    max_length: int
    min_length: int = 0
    multiline: bool = False

    def __iter__(self) -> Iterator[object]:
        if self.min_length:
            yield annotated_types.MinLen(self.min_length)
        yield annotated_types.MaxLen(self.max_length)
        yield AfterValidator(_no_control_but_lines if self.multiline else _no_control)

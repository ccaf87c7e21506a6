"""Ledger entries to and from their stored documents, field by field.

The kit's generic `to_doc`/`from_doc` work out each field's conversion through the
dataclass's type hints on every call; a balance reads every entry of a person and a year
end writes and reads hundreds of thousands, and there that generic walk was the largest
single cost after the store itself (issue 19's profile). These two produce exactly what
the generic ones do (the tests compare them on every kind of entry).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from ..domain.ledger import LedgerEntry

_day = date.fromisoformat


def entry_to_doc(e: LedgerEntry) -> dict[str, Any]:
    days = e.day_amounts
    return {
        "id": e.id,
        "tenant_id": e.tenant_id,
        "employee_id": e.employee_id,
        "leave_type_id": e.leave_type_id,
        "kind": e.kind,
        "amount": str(e.amount),
        "effective_date": e.effective_date.isoformat(),
        "source_event_id": e.source_event_id,
        "request_id": e.request_id,
        "reason": e.reason,
        "day_amounts": None if days is None else {str(k): v for k, v in days.items()},
        "expires_on": None if e.expires_on is None else e.expires_on.isoformat(),
        "leave_year": e.leave_year,
        "booked_on": None if e.booked_on is None else e.booked_on.isoformat(),
    }


def entry_from_doc(doc: dict[str, Any]) -> LedgerEntry:
    get = doc.get
    expires_on, booked_on = get("expires_on"), get("booked_on")
    return LedgerEntry(
        doc["id"],
        doc["tenant_id"],
        doc["employee_id"],
        doc["leave_type_id"],
        doc["kind"],
        Decimal(doc["amount"]),
        _day(doc["effective_date"]),
        get("source_event_id"),
        get("request_id"),
        get("reason"),
        get("day_amounts"),
        None if expires_on is None else _day(expires_on),
        get("leave_year"),
        None if booked_on is None else _day(booked_on),
    )


def entries_from_docs(
    docs: Iterable[dict[str, Any]], start: str | None = None, end: str | None = None
) -> list[LedgerEntry]:
    """The entries of `docs` effective from `start` through `end` (ISO days, which sort
    as the days do; None: unbounded), decoding only those."""
    if start is None and end is None:
        return [entry_from_doc(d) for d in docs]
    low, high = start or "", end or "\uffff"
    return [entry_from_doc(d) for d in docs if low <= d["effective_date"] <= high]

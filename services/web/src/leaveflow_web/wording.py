"""Amounts, dates and ledger entries in the words people use ("2.5 days", "14–18 Dec 2026").

The services speak JSON numbers, ISO dates and ledger kinds (``reservation_release``);
nobody reading their leave should see those. Amounts are turned into ``Decimal`` from
their text, never through a float's digits, so 0.1 + 0.2 never prints as 0.30000000004.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

DASH = "\u2013"  # an en dash, as ranges are written

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def decimal_of(value: Any) -> Decimal | None:
    """The amount ``value`` stands for (a JSON number, a string, a Decimal); None if none."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def number(value: Decimal) -> str:
    """5, 0.5, 2.25, -77.5: no trailing zeros, no exponent, at most two decimals."""
    rounded = value.quantize(Decimal("0.01"))
    text = f"{rounded:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def amount(value: Any, unit: str = "days") -> str:
    """ "1 day", "2.5 days", "0.5 days", "1 hour", "2 hours"; the value as given if it is
    no number at all."""
    found = decimal_of(value)
    if found is None:
        return str(value)
    word = "hour" if unit == "hours" else "day"
    return f"{number(found)} {word}" if abs(found) == 1 else f"{number(found)} {word}s"


def iso_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def day(value: date, *, year: bool = True) -> str:
    """ "14 Dec 2026" (or "14 Dec")."""
    text = f"{value.day} {MONTHS[value.month - 1][:3]}"
    return f"{text} {value.year}" if year else text


def date_range(start: Any, end: Any = None, *, year: bool = True) -> str:
    """ "14 Dec 2026", "14–18 Dec 2026", "30 Nov – 2 Dec 2026", "30 Dec 2026 – 2 Jan 2027".

    ``year=False`` leaves the year out where both days are in the same one."""
    first, last = iso_date(start), iso_date(end) if end else iso_date(start)
    if first is None or last is None:
        return f"{start}{DASH}{end}" if end and end != start else str(start)
    if last < first:
        first, last = last, first
    if first == last:
        return day(first, year=year)
    if first.year != last.year:
        return f"{day(first)} {DASH} {day(last)}"
    tail = f" {first.year}" if year else ""
    if first.month == last.month:
        return f"{first.day}{DASH}{day(last, year=False)}{tail}"
    return f"{day(first, year=False)} {DASH} {day(last, year=False)}{tail}"


def leave_year(start: Any, end: Any) -> str:
    """A leave year by its name: "2026" for a calendar year, "2026/27" otherwise."""
    first, last = iso_date(start), iso_date(end)
    if first is None or last is None:
        return str(start)
    if (first.month, first.day) == (1, 1) and first.year == last.year:
        return str(first.year)
    return f"{first.year}/{str(last.year)[-2:]}"


RELEASED_BECAUSE = {
    "cancelled": "Released (request cancelled)",
    "denied": "Released (request denied)",
    "rejected": "Released (request not accepted)",
}


# Balances appends who made an adjustment as an id; the page names no ids.
BY_SOMEONE = re.compile(r"\s*\(by [^()]*\)$")


def ledger_entry(
    entry: Mapping[str, Any],
    requests: Mapping[str, Mapping[str, Any]],
    *,
    whole_year: bool = False,
) -> str:
    """What one ledger entry means, in a sentence: "Reserved for 14–18 Dec",
    "Released (request cancelled)", "Accrued for March", "Carried over from 2026",
    "Adjustment: <reason>". ``requests`` are the person's requests by id (for their dates
    and how they ended); ``whole_year``: the year's only accrual, granted up front."""
    kind = str(entry.get("kind", ""))
    reason = BY_SOMEONE.sub("", str(entry.get("reason") or "")).strip()
    request = requests.get(str(entry.get("request_id") or ""), {})
    dates = (
        date_range(request["start_date"], request.get("end_date"), year=False)
        if request.get("start_date")
        else ""
    )
    when = iso_date(entry.get("effective_date"))
    if kind == "reservation":
        return f"Reserved for {dates}" if dates else "Reserved for a request"
    if kind == "reservation_release":
        return RELEASED_BECAUSE.get(str(request.get("status", "")), "Released (not taken)")
    if kind == "deduction":
        return f"Taken: {dates}" if dates else "Taken"
    if kind == "restoration":
        return "Given back (approved leave cancelled)"
    if kind == "accrual" and whole_year:
        return "Granted for the leave year"
    if kind == "accrual":
        return f"Accrued for {MONTHS[when.month - 1]}" if when else "Accrued"
    if kind == "carryover":
        return f"Carried over from {when.year - 1}" if when else "Carried over"
    if kind == "carryover_expiry":
        return "Carried-over days expired"
    if kind == "adjustment":
        return f"Adjustment: {reason}" if reason else "Adjustment"
    return reason.capitalize() if reason else "Change"


STANDING = {
    "submitted": "Sent – checking your balance",
    "pending": "Waiting for approval",
    "approved": "Approved",
    "denied": "Denied",
    "cancelled": "Cancelled",
    "rejected": "Not accepted",
}

REJECTED_BECAUSE = {
    "insufficient_balance": "not enough leave left",
    "no_policy": "this leave type is not offered at your location",
}


def standing(request: Mapping[str, Any]) -> str:
    """Where a request stands, in words; a denial with the approver's note."""
    status = str(request.get("status", ""))
    words = STANDING.get(status, status.capitalize())
    if status == "rejected":
        reason = str(request.get("rejection_reason") or "")
        because = REJECTED_BECAUSE.get(reason.partition(":")[0].strip())
        return f"{words}: {because}" if because else words
    if status in ("denied", "cancelled"):
        note = decision_note(request, status)
        return f"{words}: “{note}”" if note else words
    return words


def decision_note(request: Mapping[str, Any], status: str) -> str:
    """The note written with the step into ``status`` (the last such step), if any."""
    for step in reversed(list(request.get("history") or [])):
        if step.get("to") == status:
            return str(step.get("note") or "").strip()
    return ""


def ledger_lines(
    entries: Sequence[Mapping[str, Any]], requests: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """The sentences of a leave year's entries; one accrual alone is the year's grant."""
    accruals = sum(1 for e in entries if e.get("kind") == "accrual")
    return [ledger_entry(e, requests, whole_year=accruals == 1) for e in entries]


FILTERS = {
    "amount": amount,
    "date_range": date_range,
    "standing": standing,
}

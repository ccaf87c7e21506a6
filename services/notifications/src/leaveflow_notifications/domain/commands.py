"""The chat command language (`/vacation ...` in Slack, a message to the bot in Teams).

    request <start> [<end>] [type] [reason...]
    balance
    whosoff [date]
    help

Pure parsing: dates are ISO (`2026-03-02`); a type is matched by name later, against the
tenant's leave types, so here it is just the word after the dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

USAGE = (
    "Usage: `/vacation request <start> [<end>] [type] [reason]` "
    "(dates as YYYY-MM-DD), `/vacation balance`, `/vacation whosoff [date]`, `/vacation help`."
)


@dataclass(frozen=True)
class Help:
    problem: str | None = None


@dataclass(frozen=True)
class RequestLeave:
    start: date
    end: date
    leave_type: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Balance:
    pass


@dataclass(frozen=True)
class WhosOff:
    day: date | None = None


Command = Help | RequestLeave | Balance | WhosOff


def _date(word: str) -> date | None:
    try:
        return date.fromisoformat(word)
    except ValueError:
        return None


def parse(text: str) -> Command:
    words = text.split()
    if not words or words[0].lower() == "help":
        return Help()
    verb, rest = words[0].lower(), words[1:]
    if verb == "balance":
        return Balance()
    if verb == "whosoff":
        if not rest:
            return WhosOff()
        day = _date(rest[0])
        return (
            WhosOff(day) if day and len(rest) == 1 else Help(f"`{' '.join(rest)}` is not a date.")
        )
    if verb == "request":
        start = _date(rest[0]) if rest else None
        if start is None:
            return Help("`request` needs a start date (YYYY-MM-DD).")
        rest = rest[1:]
        end = _date(rest[0]) if rest else None
        if end is not None:
            rest = rest[1:]
        end = end or start
        if end < start:
            return Help("The end date is before the start date.")
        leave_type = rest[0] if rest else None
        reason = " ".join(rest[1:]) or None
        return RequestLeave(start, end, leave_type, reason)
    return Help(f"Unknown command `{verb}`.")

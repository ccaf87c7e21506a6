"""Amounts, dates and ledger entries in the words people use ("2.5 days", "14–18 Dec 2026").

The services speak JSON numbers, ISO dates and ledger kinds (``reservation_release``);
nobody reading their leave should see those. Amounts are turned into ``Decimal`` from
their text, never through a float's digits, so 0.1 + 0.2 never prints as 0.30000000004.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    get_day_names,
    get_month_names,
)
from babel.numbers import format_decimal

from .i18n import N_, babel_locale, language, ngettext
from .i18n import gettext as _

DASH = "\u2013"  # an en dash, as ranges are written

# English keeps its house style ("14–18 Dec", "Sep"); other languages follow CLDR via Babel.
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def month_name(month: int) -> str:
    """ "March" / "März"."""
    return str(get_month_names("wide", locale=babel_locale())[month])


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
    if rounded == 0:
        return "0"
    # "2.5" / "2,5": the page's language decides the decimal mark; no grouping.
    return str(format_decimal(rounded, format="0.##", locale=babel_locale()))


def plural_count(value: Decimal) -> int:
    """The count gettext picks the plural form by: a fraction takes the "other" form in
    English and German ("0.5 days", "2,5 Tage"), a whole number its own."""
    whole = abs(value)
    return int(whole) if whole == whole.to_integral_value() else 2


def amount(value: Any, unit: str = "days") -> str:
    """ "1 day", "2.5 days", "0.5 days", "1 hour", "2 hours"; the value as given if it is
    no number at all."""
    found = decimal_of(value)
    if found is None:
        return str(value)
    if unit == "hours":
        return ngettext("%(num)s hour", "%(num)s hours", plural_count(found), num=number(found))
    return ngettext("%(num)s day", "%(num)s days", plural_count(found), num=number(found))


def iso_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def day(value: date, *, year: bool = True) -> str:
    """ "14 Dec 2026" (or "14 Dec"); "14. Dez. 2026" in German."""
    if language() != "en":
        return str(format_skeleton("yMMMd" if year else "dMMM", value, locale=babel_locale()))
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
    if language() != "en":
        skeleton = "yMMMd" if year or first.year != last.year else "MMMd"
        return str(format_interval(first, last, skeleton, locale=babel_locale()))
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
    "cancelled": N_("Released (request cancelled)"),
    "denied": N_("Released (request denied)"),
    "rejected": N_("Released (request not accepted)"),
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
        return _("Reserved for %(dates)s", dates=dates) if dates else _("Reserved for a request")
    if kind == "reservation_release":
        because = RELEASED_BECAUSE.get(str(request.get("status", "")))
        return _(because) if because else _("Released (not taken)")
    if kind == "deduction":
        return _("Taken: %(dates)s", dates=dates) if dates else _("Taken")
    if kind == "restoration":
        return _("Given back (approved leave cancelled)")
    if kind == "accrual" and whole_year:
        return _("Granted for the leave year")
    if kind == "accrual":
        return _("Accrued for %(month)s", month=month_name(when.month)) if when else _("Accrued")
    if kind == "carryover":
        return _("Carried over from %(year)s", year=when.year - 1) if when else _("Carried over")
    if kind == "carryover_expiry":
        return _("Carried-over days expired")
    if kind == "adjustment":
        return _("Adjustment: %(reason)s", reason=reason) if reason else _("Adjustment")
    if kind in ENTITLEMENT_KINDS:
        return entitlement_entry(kind, reason, iso_date(entry.get("expires_on") or ""))
    return reason.capitalize() if reason else _("Change")


# Issue 17's ledger kinds; balances writes their reasons as "3 years of service",
# "label senior", the claim's note, "time off in lieu of 2026-01-05 not used ...".
ENTITLEMENT_KINDS = frozenset({"seniority", "label", "toil_credit", "toil_expiry"})
_YEARS = re.compile(r"^(\d+) years? of service")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def entitlement_entry(kind: str, reason: str, expires_on: date | None) -> str:
    if kind == "seniority":
        years = _YEARS.match(reason)
        if years:
            return ngettext(
                "Extra for %(num)s year of service",
                "Extra for %(num)s years of service",
                int(years[1]),
            )
        return _("Extra for years of service")
    if kind == "label":
        label = reason.removeprefix("label ").strip()
        return _("Extra for the label %(label)s", label=label) if label else _("Extra for a label")
    if kind == "toil_credit":
        note = reason if reason and reason != "time off in lieu" else ""
        if note and expires_on:
            return _("Time off in lieu: %(note)s (expires %(day)s if unused)",
                     note=note, day=day(expires_on))  # fmt: skip
        if expires_on:
            return _("Time off in lieu (expires %(day)s if unused)", day=day(expires_on))
        return _("Time off in lieu: %(note)s", note=note) if note else _("Time off in lieu")
    worked = iso_date(found[0]) if (found := _ISO.findall(reason)) else None
    if worked:
        return _("Time off in lieu of %(day)s expired unused", day=day(worked))
    return _("Time off in lieu expired unused")


STANDING = {
    "submitted": N_("Sent – checking your balance"),
    "pending": N_("Waiting for approval"),
    "approved": N_("Approved"),
    "denied": N_("Denied"),
    "cancelled": N_("Cancelled"),
    "rejected": N_("Not accepted"),
}

# Why the balances service turned a request down (``rejection_reason``): the one map.
REJECTED_BECAUSE = {
    "insufficient_balance": N_("not enough leave left"),
    "no_policy": N_("this leave type is not offered at your location"),
}


# A status inside a sentence ("The request is now approved."), in the page's language.
STATUS_WORDS = {
    "submitted": N_("waiting to be checked"),
    "pending": N_("waiting for approval"),
    "approved": N_("approved"),
    "denied": N_("denied"),
    "cancelled": N_("cancelled"),
    "rejected": N_("not accepted"),
}


def status_word(status: Any) -> str:
    known = STATUS_WORDS.get(str(status or ""))
    return _(known) if known else str(status or "").replace("_", " ")


def standing(request: Mapping[str, Any]) -> str:
    """Where a request stands, in words; a denial with the approver's note."""
    status = str(request.get("status", ""))
    words = _(STANDING[status]) if status in STANDING else status.capitalize()
    if status == "rejected":
        reason = str(request.get("rejection_reason") or "")
        because = REJECTED_BECAUSE.get(reason.partition(":")[0].strip())
        return f"{words}: {_(because)}" if because else words
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


def weekday(value: date, width: str = "abbreviated") -> str:
    """ "Mon" / "Mo." ("narrow": "M"), in the page's language."""
    return str(
        format_date(
            value, {"narrow": "EEEEE", "wide": "EEEE"}.get(width, "EEE"), locale=babel_locale()
        )
    )


def iso_weekdays() -> list[tuple[int, str]]:
    """(ISO weekday 1-7, "Mon" / "Mo.") for a work-week picker."""
    names = get_day_names("abbreviated", locale=babel_locale())  # 0 is Monday
    return [(n, str(names[n - 1])) for n in range(1, 8)]


def weekday_and_day(value: date) -> str:
    """ "Sat 26 Dec" / "Sa., 26. Dez.": a day near the others named, its year understood."""
    if language() == "en":
        return f"{value:%a} {value.day} {value:%b}"
    return str(format_skeleton("MMMEd", value, locale=babel_locale()))


def long_day(value: date) -> str:
    """ "Monday 14 December" / "Montag, 14. Dezember"."""
    return str(format_skeleton("MMMMEEEEd", value, locale=babel_locale()))


def moment(value: datetime) -> str:
    """ "1 Dec 2026, 14:05" / "1. Dez. 2026, 14:05"."""
    if language() == "en":
        return f"{value.day} {value:%b %Y, %H:%M}"
    return f"{day(value.date())}, {value:%H:%M}"


def day_with_weekday(value: date) -> str:
    """ "Mon 21 Dec 2026" / "Mo., 21. Dez. 2026"."""
    if language() == "en":
        return f"{value:%a} {value.day} {value:%b %Y}"
    return str(format_skeleton("yMMMEd", value, locale=babel_locale()))


def month_year(value: date) -> str:
    """ "December 2026" / "Dezember 2026"."""
    return str(format_skeleton("yMMMM", value, locale=babel_locale()))


FILTERS = {
    "amount": amount,
    "status_word": status_word,
    "weekday": weekday,
    "long_day": long_day,
    "date_range": date_range,
    "standing": standing,
}

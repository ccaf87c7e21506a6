"""The team calendar's grid: one row per person, one cell per day, each cell two halves
(morning, afternoon). Pure: no I/O, today is an argument.

Each row follows its person's own week and public holidays (a Sun–Thu office next to a
Mon–Fri one): leave shows only on the days it is taken, like the amount the API counts.
Each leave type has a colour *and* a short code written in the cell, so colour is never
the only cue; waiting-for-approval leave is striped.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .i18n import N_, language
from .i18n import gettext as _
from .wording import date_range, month_year, weekday

MONDAY_TO_FRIDAY = frozenset({1, 2, 3, 4, 5})
AWAY = N_("Away")
AWAY_CLASS = "lt-away"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
# Colours for types that have none of their own (dark enough for white text).
PALETTE = ("#1f5fa8", "#2e7d32", "#8e3b96", "#b3261e", "#00695c", "#6d4c41", "#3949ab")
STATUS_WORDS = {"approved": N_("approved"), "pending": N_("waiting for approval")}
VIEWS = ("month", "week")


# --- the period shown -------------------------------------------------------------------


def today_in(zone: str | None, now: datetime) -> date:
    """The date at ``now`` (aware) in the IANA ``zone``; UTC's when the zone is unknown."""
    try:
        return now.astimezone(ZoneInfo(zone or "UTC")).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone(ZoneInfo("UTC")).date()


def parse_month(value: str, today: date) -> date:
    """The first day of ``YYYY-MM``; this month when absent or malformed."""
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def month_days(first: date) -> list[date]:
    count = calendar.monthrange(first.year, first.month)[1]
    return [first + timedelta(days=i) for i in range(count)]


def shift_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    view: str  # "month" or "week"
    days: tuple[date, ...]

    @property
    def first(self) -> date:
        return self.days[0]

    @property
    def last(self) -> date:
        return self.days[-1]

    @property
    def anchor(self) -> str:
        """What the URL says for this period: ``2027-03`` or the week's Monday."""
        return self.first.strftime("%Y-%m") if self.view == "month" else self.first.isoformat()

    def shifted(self, steps: int) -> Period:
        if self.view == "month":
            return month_period(shift_month(self.first, steps))
        return week_period(self.first + timedelta(days=7 * steps))

    @property
    def title(self) -> str:
        if self.view == "month":
            return month_year(self.first)
        if language() != "en":
            return date_range(self.first, self.last)
        if self.first.year != self.last.year:
            return f"{self.first:%-d %b %Y} – {self.last:%-d %b %Y}"
        if self.first.month != self.last.month:
            return f"{self.first:%-d %b} – {self.last:%-d %b %Y}"
        return f"{self.first.day}–{self.last:%-d %B %Y}"

    def years(self) -> list[int]:
        return sorted({self.first.year, self.last.year})


def month_period(first: date) -> Period:
    return Period("month", tuple(month_days(first.replace(day=1))))


def week_period(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period("week", tuple(monday + timedelta(days=i) for i in range(7)))


def period_of(view: str, anchor: str, today: date) -> Period:
    """The week (of ``YYYY-MM-DD``) or month (``YYYY-MM``) asked for; this one when the
    anchor is absent or malformed. A week anchor names any of its days."""
    if view == "week":
        try:
            return week_period(date.fromisoformat(anchor))
        except ValueError:
            # A month (a link from the month view): its first week; anything else: this one.
            return week_period(parse_month(anchor, today) if _MONTH.match(anchor) else today)
    return month_period(parse_month(anchor[:7] if len(anchor) == 10 else anchor, today))


# --- who and what -----------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    workweek: frozenset[int] = MONDAY_TO_FRIDAY  # ISO weekdays worked
    holidays: Mapping[date, str] = field(default_factory=dict)
    start_date: date | None = None
    end_date: date | None = None
    location_name: str | None = None

    def employed_on(self, day: date) -> bool:
        if self.start_date is not None and day < self.start_date:
            return False
        return self.end_date is None or day <= self.end_date

    def works_on(self, day: date) -> bool:
        return day.isoweekday() in self.workweek and self.employed_on(day)

    def active_during(self, first: date, last: date) -> bool:
        started = self.start_date is None or self.start_date <= last
        return started and (self.end_date is None or self.end_date >= first)


def workweek_of(
    location_week: Iterable[int] | None, pattern: Mapping[str, Any] | None
) -> frozenset[int]:
    """The days a person works: their own pattern (part-time: hours per ISO weekday) when
    they have one, else their location's week, else Monday to Friday."""
    if pattern:
        days = frozenset(int(k) for k, hours in pattern.items() if float(hours or 0) > 0)
        if days:
            return days
    week = frozenset(int(d) for d in location_week or ())
    return week or MONDAY_TO_FRIDAY


def type_class(leave_type_id: str | None) -> str:
    """A CSS class for a leave type (ids are opaque: hashed into a safe name)."""
    if not leave_type_id:
        return AWAY_CLASS
    return "lt-" + hashlib.sha256(leave_type_id.encode()).hexdigest()[:10]


def type_color(leave_type_id: str | None, color: str | None) -> str:
    """The type's own colour, or a fixed one from the palette; Away is grey."""
    if not leave_type_id:
        return "#5f6368"
    if color and _HEX.match(color):
        return color.lower()
    digest = hashlib.sha256(leave_type_id.encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def _luminance(color: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else float(((c + 0.055) / 1.055) ** 2.4)

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_color(background: str) -> str:
    """Black or white, whichever reads better on the background (WCAG contrast)."""
    lum = _luminance(background)
    on_white = (1.05) / (lum + 0.05)
    on_black = (lum + 0.05) / 0.05
    return "#ffffff" if on_white >= on_black else "#000000"


def type_rules(types: Iterable[tuple[str | None, str | None]]) -> str:
    """The stylesheet of the types' colours: the dashboard's CSP allows no inline styles."""
    rules = []
    seen = set()
    for leave_type_id, color in [(None, None), *types]:
        css = type_class(leave_type_id)
        if css in seen:
            continue
        seen.add(css)
        background = type_color(leave_type_id, color)
        rules.append(f".{css}{{background-color:{background};color:{text_color(background)}}}")
    return "\n".join(rules) + "\n"


@dataclass(frozen=True)
class LeaveKind:
    """A leave type as the legend shows it."""

    name: str
    code: str  # the text cue written in its cells
    css: str
    color: str
    private: bool = False  # a private type this viewer may see (others see "Away")


@dataclass(frozen=True)
class Half:
    status: str  # "approved" or "pending"
    kind: LeaveKind
    hours: bool = False  # leave counted in hours: a part of the day, not the whole of it

    @property
    def words(self) -> str:
        status = STATUS_WORDS.get(self.status)
        said = _(status) if status else self.status
        if self.hours:
            return _("%(type)s for some hours, %(status)s", type=self.kind.name, status=said)
        return f"{self.kind.name}, {said}"


@dataclass(frozen=True)
class Cell:
    day: date
    working: bool
    holiday: str | None
    today: bool
    am: Half | None = None
    pm: Half | None = None

    @property
    def whole(self) -> bool:
        return self.am is not None and self.am == self.pm

    @property
    def words(self) -> str:
        """What the cell says to a screen reader (and in its tooltip)."""
        said = []
        if self.holiday:
            said.append(_("Public holiday: %(name)s", name=self.holiday))
        elif not self.working:
            said.append(_("Not a working day"))
        if self.whole and self.am is not None:
            said.append(self.am.words)
        else:
            if self.am is not None:
                said.append(_("Morning: %(what)s", what=self.am.words))
            if self.pm is not None:
                said.append(_("Afternoon: %(what)s", what=self.pm.words))
        return "; ".join(said)


@dataclass
class Row:
    person_id: str
    name: str
    location_name: str | None
    cells: list[Cell]


@dataclass(frozen=True)
class HeaderDay:
    day: date
    letter: str
    today: bool


def _codes(names: Sequence[str]) -> dict[str, str]:
    """A short code per type name: its initial, or more letters where initials clash."""
    codes: dict[str, str] = {}
    for length in (1, 2, 3):
        clashes: dict[str, list[str]] = {}
        for name in names:
            if name not in codes:
                clashes.setdefault(name[:length].strip().title() or "?", []).append(name)
        for code, owners in clashes.items():
            if len(owners) == 1 and code not in codes.values():
                codes[owners[0]] = code
    for index, name in enumerate(n for n in names if n not in codes):
        codes[name] = f"{name[:1].title()}{index + 1}"
    return codes


def _kind_of(item: Mapping[str, Any]) -> tuple[str | None, str, str | None]:
    leave_type_id = item.get("leave_type_id") or None
    name = str(item.get("leave_type_name") or (_("Leave") if leave_type_id else _(AWAY)))
    return leave_type_id, name, item.get("leave_type_color")


def legend_of(absences: Iterable[Mapping[str, Any]]) -> dict[str | None, LeaveKind]:
    """Each leave type in the absences (and Away, for private ones), with its code."""
    found: dict[str | None, tuple[str, str | None, bool]] = {}
    for item in absences:
        # The first item of a type names it: a month of a big team is thousands of
        # items of a few types, so the rest are not worded again.
        if (item.get("leave_type_id") or None) in found:
            continue
        leave_type_id, name, color = _kind_of(item)
        private = bool(item.get("private")) and leave_type_id is not None
        found.setdefault(leave_type_id, (name, color, private))
    names = sorted({name for name, _, _ in found.values()}, key=str.lower)
    codes = _codes(names)
    kinds = {
        leave_type_id: LeaveKind(
            name,
            codes[name],
            type_class(leave_type_id),
            type_color(leave_type_id, color),
            private,
        )
        for leave_type_id, (name, color, private) in found.items()
    }
    return dict(sorted(kinds.items(), key=lambda kv: kv[1].name.lower()))


def _halves(item: Mapping[str, Any], day: date) -> tuple[bool, bool]:
    """Which halves of `day` a leave takes: (morning, afternoon)."""
    iso = day.isoformat()
    start_part = item.get("start_part") or "full"
    end_part = item.get("end_part") or "full"
    if item["start_date"] == item["end_date"] == iso:
        return start_part != "pm", start_part != "am"
    if iso == item["start_date"] and start_part == "pm":
        return False, True
    if iso == item["end_date"] and end_part == "am":
        return True, False
    return True, True


def _wins(current: Half | None, status: str) -> bool:
    """Approved leave wins a half that pending leave also claims (the API refuses overlaps,
    so only a request and its own stale copy could meet here)."""
    return current is None or (current.status != "approved" and status == "approved")


def build_grid(
    period: Period,
    people: Sequence[Person],
    absences: Iterable[Mapping[str, Any]],
    today: date,
    hour_types: Container[str] = (),
) -> tuple[list[HeaderDay], list[Row], list[LeaveKind]]:
    """The header, one row per person in the given order, and the legend. ``hour_types``:
    the leave types counted in hours (their leave takes a part of the day's cell)."""
    items = list(absences)
    kinds = legend_of(items)
    header = [HeaderDay(d, weekday(d, "narrow"), d == today) for d in period.days]
    by_person: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        by_person.setdefault(str(item.get("employee_id")), []).append(item)
    rows = []
    days = [(day, day.isoformat()) for day in period.days]
    for person in people:
        halves: dict[date, list[Half | None]] = {}
        for item in by_person.get(person.id, []):
            kind = kinds[item.get("leave_type_id") or None]
            status = str(item.get("status") or "approved")
            by_hours = str(item.get("leave_type_id") or "") in hour_types
            for day, iso in days:
                if not item["start_date"] <= iso <= item["end_date"]:
                    continue
                slots = halves.setdefault(day, [None, None])
                for index, taken in enumerate(_halves(item, day)):
                    if taken and _wins(slots[index], status):
                        slots[index] = Half(status, kind, by_hours)
        cells = []
        for day in period.days:
            holiday = person.holidays.get(day)
            working = person.works_on(day) and holiday is None
            am, pm = halves.get(day, [None, None]) if working else (None, None)
            cells.append(Cell(day, working, holiday, day == today, am, pm))
        rows.append(Row(person.id, person.name, person.location_name, cells))
    return header, rows, list(kinds.values())

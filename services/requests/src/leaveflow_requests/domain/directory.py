"""Directory records: tenants, employees, leave types."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .approval import LevelRule
from .holiday_calendar import HolidayCalendar
from .work_schedule import WorkSchedule

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def normalise_email(value: str) -> str:
    """The employee key within a tenant: lower-cased, shape-checked (ValueError if not).

    Deliberately lenient: self-hosted companies use internal domains (corp.local, *.test)
    that strict validators reject."""
    value = value.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value.lower()


MAX_LABELS, MAX_LABEL_LENGTH = 20, 40


def clean_labels(values: Iterable[str]) -> list[str]:
    """An employee's labels as kept: each trimmed, the first of equal ones, at most
    MAX_LABELS of at most MAX_LABEL_LENGTH characters (ValueError otherwise). Compared
    exactly, as policies' `label_extra` names them."""
    labels = list(dict.fromkeys(value.strip() for value in values))
    for label in labels:
        if not label:
            raise ValueError("a label is empty")
        if len(label) > MAX_LABEL_LENGTH:
            raise ValueError(f"label {label[:20]!r}… is longer than {MAX_LABEL_LENGTH} characters")
    if len(labels) > MAX_LABELS:
        raise ValueError(f"at most {MAX_LABELS} labels")
    return labels


def name_key(name: str) -> str:
    """What makes two directory names the same to people: "Vacation", " vacation "."""
    return " ".join(name.split()).casefold()


@dataclass
class Tenant:
    id: str
    name: str
    timezone: str = "UTC"


@dataclass
class Location:
    """Where people work: its time zone, work week, public holidays and leave year."""

    id: str
    tenant_id: str
    name: str
    timezone: str = "UTC"
    workweek: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])
    country: str | None = None
    subdivision: str | None = None
    extra_holidays: list[dict[str, str]] = field(default_factory=list)
    leave_year_start: str = "01-01"
    active: bool = True

    def holiday_calendar(self) -> HolidayCalendar | None:
        if self.country is None:
            return None
        return HolidayCalendar(self.country, self.subdivision, self._extras())

    def _extras(self) -> tuple[tuple[date, str], ...]:
        return tuple((date.fromisoformat(h["date"]), h["name"]) for h in self.extra_holidays)

    def holidays_between(self, start: date, end: date) -> dict[date, str]:
        calendar = self.holiday_calendar()
        if calendar is not None:
            return calendar.holidays_between(start, end)
        return {day: name for day, name in self._extras() if start <= day <= end}

    def schedule_for(self, employee: Employee) -> WorkSchedule:
        pattern = None
        if employee.work_pattern is not None:
            pattern = {int(k): Decimal(str(v)) for k, v in employee.work_pattern.items()}
        return WorkSchedule(
            workweek=frozenset(self.workweek),
            hours_per_day=employee.work_hours_per_day,
            pattern=pattern,
        )


@dataclass
class Department:
    """A team; its approval levels decide its members' requests (admins when it has none).

    `approver_ids` is the first level's approvers (the shorthand of one unconditional level
    that older clients and consumers know)."""

    id: str
    tenant_id: str
    name: str
    approver_ids: list[str] = field(default_factory=list)
    active: bool = True
    approval_levels: list[LevelRule] = field(default_factory=list)
    # Coverage: at most this many of its people off (approved, pending or submitted) on a
    # day; "block" refuses a request over it (409), "warn" lets it through with a warning.
    max_off: int | None = None
    max_off_mode: str = "block"
    # Bumped by each submission while `max_off` is set, so that two people's concurrent
    # submissions conflict in the store and the second counts the first.
    coverage_guard: int = 0

    def rules(self) -> list[LevelRule]:
        """The configured levels; a department stored before levels existed has its
        `approver_ids` as one unconditional level."""
        if self.approval_levels:
            return self.approval_levels
        return [LevelRule(list(self.approver_ids))] if self.approver_ids else []

    def set_levels(self, levels: list[LevelRule]) -> None:
        self.approval_levels = levels
        self.approver_ids = list(levels[0].approver_ids) if levels else []

    def all_approver_ids(self) -> list[str]:
        """Everyone who approves at some level, in level order."""
        return list(dict.fromkeys(a for rule in self.rules() for a in rule.approver_ids))

    def drop_approver(self, employee_id: str) -> bool:
        """Take someone off every level (a level left with nobody goes); whether they were
        on one."""
        if employee_id not in self.all_approver_ids():
            return False
        kept = [
            LevelRule(
                [a for a in r.approver_ids if a != employee_id], r.min_amount, r.leave_type_ids
            )
            for r in self.rules()
        ]
        self.set_levels([r for r in kept if r.approver_ids])
        return True


@dataclass
class Employee:
    id: str
    tenant_id: str
    name: str
    email: str
    role: str = "user"
    location_id: str | None = None
    department_id: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    slack_user_id: str | None = None
    teams_user_id: str | None = None
    work_hours_per_day: Decimal = Decimal(8)
    # Hours per ISO weekday ("1".."7") for part-time staff; None = the full work week.
    work_pattern: dict[str, str] | None = None
    # An approver whose approved leave hands their decisions to the department's other
    # approvers (else the admins) on those days.
    when_on_leave: bool = False
    # Free labels ("senior") that balances' policies may grant extra entitlement for.
    labels: list[str] = field(default_factory=list)
    # Bumped by every submission so concurrent submissions of one employee conflict in
    # the store and are serialised (the overlap check needs that).
    request_guard: int = 0

    def is_active_on(self, day: date) -> bool:
        if self.start_date is not None and day < self.start_date:
            return False
        return not (self.end_date is not None and day > self.end_date)


@dataclass
class LeaveType:
    id: str
    tenant_id: str
    name: str
    unit: str = "days"
    requires_approval: bool = True
    allow_half_days: bool = True
    color: str | None = None
    active: bool = True
    annual_allowance: Decimal | None = None
    # Others see the person "Away", not this type (sick leave): calendar applies it.
    private: bool = False
    extra: dict[str, object] = field(default_factory=dict)

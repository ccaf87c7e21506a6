"""Blackout periods and the department's coverage limit (issue 17).

Pure and synchronous. A blackout is a range of dates in which leave is refused ("block")
or allowed with a warning the approvers see ("warn"), for some locations, departments or
leave types (none listed = all). The coverage limit `max_off` caps how many of a
department's people may be off (approved or pending) on one day.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date

BLOCK, WARN = "block", "warn"
MODES = frozenset({BLOCK, WARN})


@dataclass(frozen=True)
class Blackout:
    id: str
    tenant_id: str
    name: str
    start_date: date
    end_date: date
    mode: str = BLOCK
    # None listed = all; kept as lists so the record stores as it reads.
    location_ids: list[str] = field(default_factory=list)
    department_ids: list[str] = field(default_factory=list)
    leave_type_ids: list[str] = field(default_factory=list)
    created_by: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode is one of {sorted(MODES)}")
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")

    def applies(
        self,
        *,
        start: date,
        end: date,
        location_id: str | None,
        department_id: str | None,
        leave_type_id: str,
    ) -> bool:
        """Whether a request of these dates, for this person and type, touches it — one
        shared day is enough (a blackout touching only the last day applies)."""
        if end < self.start_date or self.end_date < start:
            return False
        return (
            _listed(self.location_ids, location_id)
            and _listed(self.department_ids, department_id)
            and _listed(self.leave_type_ids, leave_type_id)
        )

    def sentence(self) -> str:
        span = (
            self.start_date.isoformat()
            if self.start_date == self.end_date
            else f"{self.start_date.isoformat()} to {self.end_date.isoformat()}"
        )
        return f"{self.name} ({span}) is a blackout period"


def _listed(ids: list[str], value: str | None) -> bool:
    return not ids or (value is not None and value in ids)


@dataclass(frozen=True)
class Touched:
    """What the blackouts say about one request: the blocking ones and the warnings."""

    blocking: tuple[Blackout, ...]
    warnings: tuple[Blackout, ...]


def touched_by(
    blackouts: Iterable[Blackout],
    *,
    start: date,
    end: date,
    location_id: str | None,
    department_id: str | None,
    leave_type_id: str,
) -> Touched:
    hits = sorted(
        (
            b
            for b in blackouts
            if b.applies(
                start=start,
                end=end,
                location_id=location_id,
                department_id=department_id,
                leave_type_id=leave_type_id,
            )
        ),
        key=lambda b: (b.start_date, b.name, b.id),
    )
    return Touched(
        blocking=tuple(b for b in hits if b.mode == BLOCK),
        warnings=tuple(b for b in hits if b.mode == WARN),
    )


def first_day_over(
    max_off: int,
    new_days: Collection[date],
    others_days: Iterable[tuple[str, Collection[date]]],
    employee_id: str,
) -> tuple[date, int] | None:
    """The first of `new_days` on which more than `max_off` people would be off, with how
    many; `others_days` are (person, days off) of the department's live requests. The
    requester counts once per day however many of their requests cover it."""
    off: dict[date, set[str]] = {}
    for person, days in others_days:
        if person == employee_id:
            continue
        for day in days:
            off.setdefault(day, set()).add(person)
    for day in sorted(new_days):
        count = len(off.get(day, ())) + 1
        if count > max_off:
            return day, count
    return None


def coverage_sentence(
    department_name: str,
    max_off: int,
    new_days: Collection[date],
    others_days: Iterable[tuple[str, Collection[date]]],
    employee_id: str,
) -> str | None:
    """What a request breaking the department's `max_off` says (naming the first day
    over it), or None when it keeps within it."""
    over = first_day_over(max_off, new_days, others_days, employee_id)
    if over is None:
        return None
    day, count = over
    return (
        f"{department_name} would have {count} people off on {day.isoformat()}"
        f" (max_off is {max_off})"
    )

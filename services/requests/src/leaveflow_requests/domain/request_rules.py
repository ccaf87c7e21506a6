"""A policy's rules on when and how much leave one may ask for (issue 17).

Pure and synchronous. The policy (balances) sets them per location and leave type; the
requests service learns them from `PolicyUpserted` and checks them on submit, so a broken
rule is a 422 whose field names the request field and whose message names the rule.

- `min_notice_days`: the first day lies at least N calendar days after today (the
  location's today);
- `max_days_ahead`: the last day lies at most N calendar days after today;
- `probation_days`: no leave whose first day is before `start_date + N` calendar days;
- `max_consecutive`: this request together with the employee's live requests of the same
  type that touch it, or are apart from it only by non-working days, is at most N (in the
  type's unit) — so four adjacent one-day requests count as four;
- `sandwich`: which non-working days lying between two leave days count as leave
  ("weekends", "holidays", "both"; "off" = none), within one request and across the gap to
  an adjacent live request of the same type.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .errors import InvalidRequest

OFF, WEEKENDS, HOLIDAYS, BOTH = "off", "weekends", "holidays", "both"
SANDWICH_MODES = frozenset({OFF, WEEKENDS, HOLIDAYS, BOTH})
WEEKEND, HOLIDAY = "weekend", "holiday"
_KINDS_OF_MODE: dict[str, frozenset[str]] = {
    OFF: frozenset(),
    WEEKENDS: frozenset({WEEKEND}),
    HOLIDAYS: frozenset({HOLIDAY}),
    BOTH: frozenset({WEEKEND, HOLIDAY}),
}

# What kind of non-working day a date is (WEEKEND, HOLIDAY), or None for a working day.
DayKind = Callable[[date], str | None]


def day_kind(is_scheduled: Callable[[date], bool], holidays: Collection[date]) -> DayKind:
    """A day off by the work week (or the person's pattern) is a weekend day, even when it
    is also a public holiday; a scheduled day that is a holiday is a holiday."""

    def kind(day: date) -> str | None:
        if not is_scheduled(day):
            return WEEKEND
        if day in holidays:
            return HOLIDAY
        return None

    return kind


@dataclass(frozen=True)
class Span:
    """A live request as far as the rules care: its dates and its amount."""

    start: date
    end: date
    amount: Decimal


@dataclass(frozen=True)
class RequestRules:
    min_notice_days: int | None = None
    max_days_ahead: int | None = None
    max_consecutive: Decimal | None = None
    probation_days: int | None = None
    sandwich: str = OFF

    def __post_init__(self) -> None:
        if self.sandwich not in SANDWICH_MODES:
            raise ValueError(f"sandwich is one of {sorted(SANDWICH_MODES)}")

    @property
    def any(self) -> bool:
        return self != RequestRules()

    def check_dates(
        self,
        *,
        start: date,
        end: date,
        today: date,
        employed_since: date | None,
        type_name: str,
        override: bool = False,
    ) -> None:
        """Notice, how far ahead, probation. `override` (an admin recording leave on
        purpose) lifts the notice and how-far-ahead rules, never probation."""
        if not override and self.min_notice_days is not None:
            earliest = today + timedelta(days=self.min_notice_days)
            if start < earliest:
                raise InvalidRequest(
                    f"{type_name} needs {_notice(self.min_notice_days)} notice "
                    f"(min_notice_days): the first day can be {earliest.isoformat()} at the "
                    "earliest",
                    field="start_date",
                )
        if not override and self.max_days_ahead is not None:
            latest = today + timedelta(days=self.max_days_ahead)
            if end > latest:
                raise InvalidRequest(
                    f"{type_name} can be asked for at most {_days(self.max_days_ahead)} ahead "
                    f"(max_days_ahead): the last day can be {latest.isoformat()} at the latest",
                    field="end_date",
                )
        if self.probation_days is not None and employed_since is not None:
            first_allowed = employed_since + timedelta(days=self.probation_days)
            if start < first_allowed:
                raise InvalidRequest(
                    f"{type_name} can be taken after the probation period (probation_days): "
                    f"from {first_allowed.isoformat()} on",
                    field="start_date",
                )

    def check_consecutive(
        self,
        new: Span,
        others: Iterable[Span],
        kind: DayKind,
        *,
        unit: str,
        type_name: str,
    ) -> None:
        if self.max_consecutive is None:
            return
        total = consecutive_amount(new, others, kind)
        if total > self.max_consecutive:
            raise InvalidRequest(
                f"{type_name} is at most {_amount(self.max_consecutive, unit)} in a row "
                f"(max_consecutive): with the requests next to it this would be "
                f"{_amount(total, unit)}",
                field="end_date",
            )

    def sandwiched(
        self,
        start: date,
        end: date,
        leave_days: Sequence[date],
        others: Iterable[Span],
        kind: DayKind,
    ) -> tuple[date, ...]:
        """The non-working days this request is also charged for: those of the mode's kind
        between two of its own leave days, and the gap to an adjacent live request of the
        same type when the gap holds only such days."""
        kinds = _KINDS_OF_MODE[self.sandwich]
        if not kinds or not leave_days:
            return ()
        first, last = min(leave_days), max(leave_days)
        inside = {d for d in _between(first, last) if kind(d) in kinds}
        # Days of the range that were not counted are already between the first and the
        # last leave day or outside them; outside days join only through an adjacent request.
        for other in others:
            if other.end < start:
                inside |= set(_gap(other.end, first, kind, kinds))
            elif other.start > end:
                inside |= set(_gap(last, other.start, kind, kinds))
        return tuple(sorted(inside))


def consecutive_amount(new: Span, others: Iterable[Span], kind: DayKind) -> Decimal:
    """The amount of the run of leave `new` belongs to: requests join when they touch or
    when only non-working days lie between them."""
    spans = sorted([new, *others], key=lambda s: (s.start, s.end))
    runs: list[list[Span]] = []
    for span in spans:
        if runs and _joins(runs[-1], span, kind):
            runs[-1].append(span)
        else:
            runs.append([span])
    run = next(r for r in runs if new in r)
    return sum((s.amount for s in run), Decimal(0))


def _joins(run: list[Span], span: Span, kind: DayKind) -> bool:
    # Touching or overlapping spans leave no day between them, so they join too.
    end = max(s.end for s in run)
    return all(kind(d) is not None for d in _between(end, span.start))


def _between(after: date, before: date) -> Iterable[date]:
    day = after + timedelta(days=1)
    while day < before:
        yield day
        day += timedelta(days=1)


def _gap(after: date, before: date, kind: DayKind, kinds: frozenset[str]) -> tuple[date, ...]:
    days = tuple(_between(after, before))
    if days and all(kind(d) in kinds for d in days):
        return days
    return ()


def _notice(n: int) -> str:
    return "1 day's" if n == 1 else f"{n} days'"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _amount(value: Decimal, unit: str) -> str:
    text = f"{value.normalize():f}"
    singular = value == 1
    if unit == "hours":
        return f"{text} hour" if singular else f"{text} hours"
    return f"{text} day" if singular else f"{text} days"

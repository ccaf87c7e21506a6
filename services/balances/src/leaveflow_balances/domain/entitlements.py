"""Extra entitlement a leave year grants besides the allowance: seniority steps and labels.

Like accruals, these are a function of the policy, the dates and the employee's record, so
they are derived when read: a changed policy, a past start date or a label removed
mid-year come out right without a job. Each is granted up front on the day it starts (the
year's first day, the work anniversary, the day a label was added), prorated with the
policy's rounding when it covers only part of the year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .accrual import Employment
from .calendar import LeaveYear
from .policy import CENT, FROM_LEAVE_YEAR_START, ZERO, Policy, round_grant

SENIORITY, LABEL = "seniority", "label"


@dataclass(frozen=True)
class LabelPeriod:
    """The days an employee carried `label`: from `start` (None: since they joined) to
    `end` (None: still)."""

    label: str
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Grant:
    """One derived entry: `amount` of `kind` from `day`, and why."""

    kind: str
    day: date
    amount: Decimal
    reason: str
    key: str


def anniversary(start: date, years: int) -> date:
    """`years` after `start`; 29 February falls on 28 February in other years."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 2, 28)


def _days(first: date, last: date) -> int:
    return (last - first).days + 1


def _part(policy: Policy, extra: Decimal, days: int, year: LeaveYear) -> Decimal:
    """`extra` for `days` of the year: whole for the whole year, else prorated and rounded."""
    if days >= year.days:
        return extra.quantize(CENT)
    return round_grant(extra * Decimal(days) / Decimal(year.days), policy.rounding)


def _step_extra(policy: Policy, start: date, day: date) -> tuple[Decimal, int]:
    """The extra of the highest step reached by `day`, and its years (0: none)."""
    reached = [s for s in policy.seniority if anniversary(start, s.after_years) <= day]
    if not reached:
        return ZERO, 0
    step = max(reached, key=lambda s: s.after_years)
    return step.extra, step.after_years


def seniority_grants(policy: Policy, year: LeaveYear, employment: Employment) -> list[Grant]:
    """The year's seniority entries. From the anniversary: the step in force when the year
    (or the employment) starts, for the employed days, and on each anniversary inside the
    year the step's increase for the rest of it. From the leave year's start: the step
    reached by the year's last day, as if reached on its first."""
    start = employment.start
    span = employment.overlap(year.start, year.end)
    if not policy.seniority or start is None or span is None:
        return []
    first, last = span
    whole = span == (year.start, year.end) or not policy.prorate_first_year
    out: list[Grant] = []

    def grant(day: date, extra: Decimal, years: int, days: int) -> None:
        whole_year = whole and day == first
        amount = extra.quantize(CENT) if whole_year else _part(policy, extra, days, year)
        if amount != 0:
            key = f"{SENIORITY}:{policy.leave_type_id}:{day.isoformat()}"
            out.append(Grant(SENIORITY, day, amount, f"{years} years of service", key))

    if policy.seniority_from == FROM_LEAVE_YEAR_START:
        extra, years = _step_extra(policy, start, year.end)
        grant(first, extra, years, _days(first, last))
        return out
    extra, years = _step_extra(policy, start, first)
    grant(first, extra, years, _days(first, last))
    for step in policy.seniority:
        day = anniversary(start, step.after_years)
        if first < day <= last and step.extra > extra:
            grant(day, step.extra - extra, step.after_years, _days(day, last))
            extra = step.extra
    return out


def label_grants(
    policy: Policy, year: LeaveYear, employment: Employment, periods: tuple[LabelPeriod, ...]
) -> list[Grant]:
    """One entry per rule and period of its label inside the year and the employment: the
    rule's extra for the days the employee carried the label."""
    span = employment.overlap(year.start, year.end)
    if not policy.label_extra or span is None:
        return []
    out: list[Grant] = []
    for rule in policy.label_extra:
        for period in periods:
            if period.label != rule.label:
                continue
            had = Employment(period.start, period.end).overlap(*span)
            if had is None:
                continue
            first, last = had
            amount = _part(policy, rule.extra, _days(first, last), year)
            if had == span and (span == (year.start, year.end) or not policy.prorate_first_year):
                amount = rule.extra.quantize(CENT)
            if amount != 0:
                key = f"{LABEL}:{policy.leave_type_id}:{rule.label}:{first.isoformat()}"
                out.append(Grant(LABEL, first, amount, f"label {rule.label}", key))
    return out


def close_periods(
    periods: list[LabelPeriod], labels: list[str], day: date, *, first_record: bool
) -> list[LabelPeriod]:
    """The label periods after a record naming `labels` on `day`: a label gone closes the
    day before, a new one opens on `day`. The first record's labels count from the start."""
    if first_record:
        return [LabelPeriod(label) for label in dict.fromkeys(labels)]
    out: list[LabelPeriod] = []
    open_labels = set()
    for period in periods:
        if period.end is not None or period.label in labels:
            out.append(period)
            if period.end is None:
                open_labels.add(period.label)
            continue
        end = day - timedelta(days=1)
        # Added and removed on the same day: it never counted.
        if period.start is None or period.start <= end:
            out.append(LabelPeriod(period.label, period.start, end))
    for label in dict.fromkeys(labels):
        if label not in open_labels:
            out.append(LabelPeriod(label, day))
    return out

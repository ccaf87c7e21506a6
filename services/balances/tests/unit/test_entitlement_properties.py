"""Hypothesis over issue 17's entitlements in the pure domain: whatever the entries, the
accrual cap, seniority, labels and time off in lieu, every balance field is a sum of ledger
entries, remaining adds them up, and an accrual cap is never exceeded by accruals."""

# fixed-clock: pure functions of the dates given (`as_of` is an argument)

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from leaveflow_balances.domain import ledger
from leaveflow_balances.domain.accrual import Employment
from leaveflow_balances.domain.calendar import leave_year_labelled
from leaveflow_balances.domain.entitlements import LabelPeriod
from leaveflow_balances.domain.ledger import LedgerEntry, YearContext
from leaveflow_balances.domain.policy import LabelExtra, Policy, SeniorityStep

D = Decimal
YEAR = leave_year_labelled(2027, "01-01")
DAY = st.dates(min_value=YEAR.start, max_value=YEAR.end)
STORED = st.sampled_from(
    [
        ledger.ADJUSTMENT,
        ledger.CARRYOVER,
        ledger.RESERVATION,
        ledger.RESERVATION_RELEASE,
        ledger.DEDUCTION,
        ledger.RESTORATION,
        ledger.TOIL_CREDIT,
    ]
)
ENTRY = st.tuples(
    STORED,
    st.decimals(min_value=0, max_value=10, places=2),
    DAY,
    st.one_of(st.none(), DAY),  # booked on
    st.one_of(st.none(), st.integers(min_value=1, max_value=6)),  # expiry months
)
POLICY = st.fixed_dictionaries(
    {
        "annual_allowance": st.decimals(min_value=0, max_value=40, places=2),
        "accrual": st.sampled_from(["upfront", "monthly", "semimonthly", "biweekly"]),
        "accrual_cap": st.one_of(st.none(), st.decimals(min_value=0, max_value=30, places=2)),
        "rounding": st.sampled_from(["none", "half_day", "day"]),
        "seniority_from": st.sampled_from(["anniversary", "leave_year_start"]),
        "carryover_expiry_months": st.one_of(st.none(), st.integers(min_value=1, max_value=6)),
    }
)


def _entry(i: int, raw: tuple[str, Decimal, date, date | None, int | None]) -> LedgerEntry:
    kind, amount, day, booked_on, months = raw
    expires_on = None
    # (A year has one carry-over; the domain tests cover its expiry.)
    if months is not None and kind == ledger.TOIL_CREDIT:
        expires_on = day + timedelta(days=30 * months)
    return LedgerEntry(
        f"x{i}",
        "t",
        "e",
        "v",
        kind,
        amount,
        YEAR.start if kind == ledger.CARRYOVER else day,
        day_amounts={day.isoformat(): str(amount)},
        booked_on=booked_on,
        expires_on=expires_on,
    )


@settings(max_examples=150, deadline=None)
@given(
    POLICY,
    st.lists(ENTRY, max_size=25),
    DAY,
    st.dates(min_value=date(2015, 1, 1), max_value=YEAR.end),
    st.lists(st.tuples(st.one_of(st.none(), DAY), st.one_of(st.none(), DAY)), max_size=3),
)
def test_every_entitlement_figure_is_a_sum_of_ledger_entries(
    fields: dict[str, object],
    raw: list[tuple[str, Decimal, date, date | None, int | None]],
    as_of: date,
    start: date,
    held: list[tuple[date | None, date | None]],
) -> None:
    p = Policy(
        tenant_id="t",
        location_id="l",
        leave_type_id="v",
        seniority=[SeniorityStep(2, D(2)), SeniorityStep(5, D("4.5"))],
        label_extra=[LabelExtra("senior", D(3))],
        toil=True,
        **fields,  # type: ignore[arg-type]
    )
    periods = tuple(
        LabelPeriod("senior", a, b) for a, b in held if a is None or b is None or a <= b
    )
    c = YearContext(p, p.annual_allowance, YEAR, Employment(start), periods)
    stored = [_entry(i, r) for i, r in enumerate(raw)]
    entries = ledger.entries_for_year(c, "e", stored, as_of)
    b = ledger.fold(entries, c)

    def total(*kinds: str) -> Decimal:
        return sum((e.amount for e in entries if e.kind in kinds), D(0))

    assert b.accrued == total(ledger.ACCRUAL)
    assert b.seniority == total(ledger.SENIORITY)
    assert b.label_extra == total(ledger.LABEL)
    assert b.toil_earned == total(ledger.TOIL_CREDIT, ledger.TOIL_EXPIRY)
    assert b.carried_over == total(ledger.CARRYOVER, ledger.CARRYOVER_EXPIRY)
    assert b.used == total(ledger.DEDUCTION) - total(ledger.RESTORATION)
    assert b.pending == total(ledger.RESERVATION) - total(ledger.RESERVATION_RELEASE)
    assert (
        b.remaining
        == (
            b.accrued + b.carried_over + b.adjustments + b.seniority + b.label_extra + b.toil_earned
        )
        - b.used
    )
    assert b.available == b.remaining - b.pending + b.negative_allowance
    # A credit never expires more than it gave, and the fast path agrees with the entries.
    assert total(ledger.TOIL_EXPIRY) <= 0
    assert -total(ledger.TOIL_EXPIRY) <= total(ledger.TOIL_CREDIT)
    assert ledger.balance(c, "e", stored, as_of) == b
    if p.accrual_cap is not None:
        # Accruals never lift remaining above the cap on the day they are granted.
        for accrual in (e for e in entries if e.kind == ledger.ACCRUAL):
            assert accrual.amount > 0
            day = accrual.effective_date
            standing = sum(
                (e.amount for e in entries if e.kind == ledger.ACCRUAL and e.effective_date <= day),
                D(0),
            ) + ledger._remaining_on(day, [e for e in entries if e.kind != ledger.ACCRUAL])
            assert standing <= p.accrual_cap

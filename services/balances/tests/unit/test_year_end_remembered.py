"""A year end works out a remaining once for everyone whose year is the same (domain
`year_end._remaining`): whatever the entries, the carry-overs of a whole location computed
with one shared memory are those computed person by person without it."""

# fixed-clock: pure functions of the dates given

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from leaveflow_balances.domain import ledger
from leaveflow_balances.domain.accrual import Employment
from leaveflow_balances.domain.calendar import leave_year_labelled
from leaveflow_balances.domain.ledger import LedgerEntry, YearContext
from leaveflow_balances.domain.policy import Policy
from leaveflow_balances.domain.replicas import EmployeeReplica
from leaveflow_balances.domain.year_end import Remembered, carryover_entries

YEAR = leave_year_labelled(2025, "01-01")
NEXT = YEAR.next("01-01")
# Few days and amounts, so that people often share a history (what the memory is for).
DAY = st.sampled_from([YEAR.start, date(2025, 3, 3), date(2025, 12, 31), date(2024, 12, 31)])
AMOUNT = st.sampled_from([Decimal(1), Decimal("1.0"), Decimal("2.5"), Decimal(3)])
KIND = st.sampled_from(
    [ledger.DEDUCTION, ledger.RESTORATION, ledger.ADJUSTMENT, ledger.CARRYOVER, ledger.TOIL_CREDIT]
)
HISTORY = st.lists(st.tuples(KIND, AMOUNT, DAY, st.booleans()), max_size=4)
START = st.sampled_from([None, date(2020, 1, 1), date(2025, 7, 1)])


def _entries(who: str, history: list[tuple[str, Decimal, date, bool]]) -> list[LedgerEntry]:
    return [
        LedgerEntry(
            f"{who}:{n}",
            "t",
            who,
            "vac" if vacation else "sick",
            kind,
            amount,
            day,
            day_amounts={day.isoformat(): str(amount)} if kind == ledger.DEDUCTION else None,
            expires_on=(
                day + timedelta(days=60) if kind in (ledger.TOIL_CREDIT, ledger.CARRYOVER) else None
            ),
        )
        for n, (kind, amount, day, vacation) in enumerate(history)
    ]


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.tuples(START, HISTORY), min_size=1, max_size=8),
    st.sampled_from(["upfront", "monthly"]),
)
def test_carry_overs_with_a_shared_memory_are_those_worked_out_alone(
    people: list[tuple[date | None, list[tuple[str, Decimal, date, bool]]]], accrual: str
) -> None:
    policies = [
        Policy("t", "loc", "vac", annual_allowance=Decimal(20), accrual=accrual),
        Policy("t", "loc", "sick", annual_allowance=Decimal("7.5"), carryover_max=None),
    ]
    remembered: Remembered = {}
    for n, (start, history) in enumerate(people):
        employee = EmployeeReplica(f"e{n}", "t", name="x", location_id="loc", start_date=start)
        contexts = [
            YearContext(p, p.annual_allowance, YEAR, Employment(start, None)) for p in policies
        ]
        entries = _entries(employee.id, history)
        shared = carryover_entries(employee, contexts, entries, NEXT, "run", remembered)
        alone = carryover_entries(employee, contexts, entries, NEXT, "run")
        assert shared == alone
        assert all(e.employee_id == employee.id for e in shared)


def test_people_apart_only_by_an_amount_carry_their_own() -> None:
    policy = Policy("t", "loc", "vac", annual_allowance=Decimal(0), carryover_max=None)
    ctx = [YearContext(policy, policy.annual_allowance, YEAR, Employment(None, None))]
    remembered: Remembered = {}
    carried = []
    for n, amount in enumerate((Decimal(3), Decimal("3.5"), Decimal(3))):
        employee = EmployeeReplica(f"e{n}", "t", name="x", location_id="loc")
        adjustment = LedgerEntry(
            f"a{n}", "t", employee.id, "vac", ledger.ADJUSTMENT, amount, YEAR.start
        )
        (entry,) = carryover_entries(employee, ctx, [adjustment], NEXT, "run", remembered)
        carried.append(str(entry.amount))
    assert carried == ["3.00", "3.50", "3.00"]
    assert len(remembered) == 2

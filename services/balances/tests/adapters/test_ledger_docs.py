"""The ledger's own document codec (adapters/ledger_docs.py) stores and reads exactly what
the kit's generic `to_doc`/`from_doc` do, and a windowed read of an employee's entries is
the full read filtered to the leave year."""

# fixed-clock: entries carry literal past dates; nothing reads a clock

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from leaveflow_balances.adapters.ledger_docs import entries_from_docs, entry_from_doc, entry_to_doc
from leaveflow_balances.adapters.repository import INDEXES
from leaveflow_balances.domain import ledger
from leaveflow_balances.domain.calendar import leave_year_labelled
from leaveflow_balances.domain.ledger import LedgerEntry
from leaveflow_balances.service_layer.year_end import open_job, run_job
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.storage import open_store
from leaveflow_kit.testing import FakeClock

from ..harness import Harness, T, weekdays

DAYS = st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 12, 31))
TEXT = st.one_of(st.none(), st.text(max_size=12))
ENTRIES = st.builds(
    LedgerEntry,
    id=st.text(min_size=1, max_size=20),
    tenant_id=st.text(min_size=1, max_size=8),
    employee_id=st.text(min_size=1, max_size=8),
    leave_type_id=st.text(min_size=1, max_size=8),
    kind=st.sampled_from(sorted(ledger.ALL_KINDS)),
    amount=st.decimals(allow_nan=False, allow_infinity=False, places=3),
    effective_date=DAYS,
    source_event_id=TEXT,
    request_id=TEXT,
    reason=TEXT,
    day_amounts=st.one_of(
        st.none(), st.dictionaries(st.dates().map(date.isoformat), st.sampled_from(["1", "0.5"]))
    ),
    expires_on=st.one_of(st.none(), DAYS),
    leave_year=st.one_of(st.none(), st.integers(2019, 2031)),
    booked_on=st.one_of(st.none(), DAYS),
)


@given(ENTRIES)
def test_the_codec_writes_and_reads_what_the_generic_one_does(entry: LedgerEntry) -> None:
    doc = to_doc(entry)
    assert entry_to_doc(entry) == doc
    assert entry_from_doc(doc) == from_doc(LedgerEntry, doc) == entry


def test_a_document_of_an_older_shape_reads_as_the_generic_codec_reads_it() -> None:
    # Written before `leave_year` and `booked_on` existed: the defaults fill them.
    doc = {
        "id": "e",
        "tenant_id": T,
        "employee_id": "e1",
        "leave_type_id": "vac",
        "kind": ledger.DEDUCTION,
        "amount": "1.50",
        "effective_date": "2024-03-04",
    }
    assert entry_from_doc(doc) == from_doc(LedgerEntry, doc)
    assert entry_from_doc(doc).amount == Decimal("1.50")


@given(st.lists(ENTRIES, max_size=20), DAYS, DAYS)
def test_a_window_keeps_exactly_the_entries_effective_in_it(
    entries: list[LedgerEntry], first: date, second: date
) -> None:
    start, end = min(first, second), max(first, second)
    docs = [to_doc(e) for e in entries]
    assert entries_from_docs(docs, start.isoformat(), end.isoformat()) == [
        e for e in entries if start <= e.effective_date <= end
    ]
    assert entries_from_docs(docs) == entries


async def test_an_employees_entries_within_a_year_are_the_years_of_all_of_them(
    tmp_path: Path,
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'balances.db'}", INDEXES)
    await store.start()
    try:
        harness = Harness(store, FakeClock(datetime(2026, 6, 1, tzinfo=UTC)))
        await harness.setup(annual_allowance=Decimal(10), carryover_max=Decimal(4))
        for n, year in enumerate((2024, 2025, 2026)):
            # The first and last weekdays of each year: the window's edges.
            for m, days in enumerate(
                (weekdays(date(year, 1, 1), 1), [max(weekdays(date(year, 12, 24), 6))])
            ):
                await harness.request(f"r{n}{m}", days)
                await harness.approve(f"r{n}{m}", days)
            if year < 2026:
                await run_job(
                    harness.uow, harness.reads, await open_job(harness.uow, T, "loc", year, "a")
                )
        everything = await harness.reads.entries(T, "e1")
        assert {e.kind for e in everything} >= {ledger.CARRYOVER, ledger.DEDUCTION}
        for year in (2024, 2025, 2026, 2027):
            window = leave_year_labelled(year, "01-01")
            expected = [e for e in everything if e.effective_date in window]
            assert await harness.reads.entries(T, "e1", within=window) == expected
            assert expected or year == 2027
    finally:
        await store.close()

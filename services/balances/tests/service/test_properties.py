"""Hypothesis over the whole service layer: for any sequence of requests, approvals,
denials, cancellations and adjustments, each balance field is the sum of its ledger
entries, and reserving then releasing leaves the balance as it was."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leaveflow_balances.adapters.repository import INDEXES
from leaveflow_balances.domain import ledger
from leaveflow_balances.service_layer import admin
from leaveflow_kit.storage import open_store
from leaveflow_kit.testing import FakeClock

from ..harness import Harness, T

D = Decimal
AS_OF = date(2026, 12, 31)
STEP = st.tuples(
    st.sampled_from(["request", "approve", "deny", "cancel", "adjust"]),
    st.integers(min_value=0, max_value=5),  # which request
    st.integers(min_value=0, max_value=300),  # its first day, from 1 Jan
    st.integers(min_value=1, max_value=6),  # its length
    st.decimals(min_value=-5, max_value=5, places=2),  # adjustment
)


def span(offset: int, length: int) -> list[date]:
    first = date(2026, 1, 1) + timedelta(days=offset)
    return [first + timedelta(days=i) for i in range(length)]


async def _run(steps: list[tuple[str, int, int, int, Decimal]]) -> None:
    store = open_store("memory://", INDEXES)
    await store.start()
    try:
        h = Harness(store, FakeClock(datetime(2026, 6, 1, tzinfo=UTC)))
        await h.setup(annual_allowance=D(20), accrual="monthly", negative_allowance=D(2))
        spans: dict[int, list[date]] = {}
        for action, n, offset, length, amount in steps:
            rid = f"r{n}"
            if action == "request":
                spans.setdefault(n, span(offset, length))
                await h.request(rid, spans[n])
            elif action == "adjust":
                await admin.adjust(
                    h.uow,
                    tenant_id=T,
                    actor_id="a",
                    employee_id="e1",
                    leave_type_id="vac",
                    amount=amount,
                    reason="p",
                    effective_date=date(2026, 1, 1) + timedelta(days=offset),
                )
            elif n in spans:
                if action == "approve":
                    await h.approve(rid, spans[n])
                elif action == "deny":
                    await h.deny(rid, spans[n])
                else:
                    await h.cancel(rid, spans[n], "approved")
        b = await h.balance(AS_OF)
        entries = await h.ledger(to=AS_OF)

        def total(*kinds: str) -> Decimal:
            return sum((e.amount for e in entries if e.kind in kinds), D(0))

        assert b.accrued == total(ledger.ACCRUAL) == D(20)
        assert b.adjustments == total(ledger.ADJUSTMENT)
        assert b.used == total(ledger.DEDUCTION) - total(ledger.RESTORATION)
        assert b.pending == total(ledger.RESERVATION) - total(ledger.RESERVATION_RELEASE)
        assert b.pending >= 0
        assert b.used >= 0
        # Reserving then releasing one more request changes nothing.
        await h.request("extra", span(200, 1))
        await h.deny("extra", span(200, 1))
        again = await h.balance(AS_OF)
        assert (again.used, again.pending, again.remaining, again.available) == (
            b.used,
            b.pending,
            b.remaining,
            b.available,
        )
    finally:
        await store.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, max_size=25))
def test_ledger_sums_equal_balance_fields_for_any_sequence(
    steps: list[tuple[str, int, int, int, Decimal]],
) -> None:
    asyncio.run(_run(steps))

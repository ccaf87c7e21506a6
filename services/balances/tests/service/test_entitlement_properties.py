"""Hypothesis over the service layer with issue 17's entitlements switched on (accrual cap,
seniority, labels, time off in lieu): for any sequence of requests, decisions, adjustments,
TOIL claims and label changes, each balance field is the sum of its ledger entries and
remaining adds them all up."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leaveflow_balances.adapters.repository import INDEXES
from leaveflow_balances.domain import ledger
from leaveflow_balances.domain.policy import LabelExtra, SeniorityStep
from leaveflow_balances.service_layer import admin
from leaveflow_contracts import EmployeeUpserted, ToilApproved
from leaveflow_kit.storage import open_store
from leaveflow_kit.testing import FakeClock

from ..harness import Harness, T

D = Decimal
STEP = st.tuples(
    st.sampled_from(["request", "approve", "deny", "cancel", "adjust", "toil", "label"]),
    st.integers(min_value=0, max_value=5),  # which request / claim
    st.integers(min_value=0, max_value=300),  # a day, from 1 Jan
    st.integers(min_value=1, max_value=4),  # a length
    st.decimals(min_value=-5, max_value=5, places=2),  # an amount
)


def span(offset: int, length: int) -> list[date]:
    first = date(2026, 1, 1) + timedelta(days=offset)
    return [first + timedelta(days=i) for i in range(length)]


async def _run(steps: list[tuple[str, int, int, int, Decimal]], as_of: date) -> None:
    store = open_store("memory://", INDEXES)
    await store.start()
    try:
        h = Harness(store, FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))
        await h.setup(
            start=date(2023, 5, 1),
            annual_allowance=D(20),
            accrual="monthly",
            accrual_cap=D(12),
            negative_allowance=D(2),
            seniority=[SeniorityStep(3, D(2))],
            label_extra=[LabelExtra("senior", D(3))],
            toil=True,
            toil_expiry_months=2,
        )
        spans: dict[int, list[date]] = {}
        labelled = False
        for action, n, offset, length, amount in steps:
            # Time moves on with the steps: bookings and label changes get their own days.
            h.clock.move_to(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=offset))
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
            elif action == "toil":
                await h.deliver(
                    ToilApproved(
                        toil_id=f"t{n}",
                        employee_id="e1",
                        leave_type_id="vac",
                        date=date(2026, 1, 1) + timedelta(days=offset),
                        amount=abs(amount) + D("0.5"),
                    )
                )
            elif action == "label":
                labelled = not labelled
                await h.deliver(
                    EmployeeUpserted(
                        employee_id="e1",
                        name="e1",
                        email="e1@x.test",
                        role="user",
                        location_id="loc",
                        start_date=date(2023, 5, 1),
                        labels=["senior"] if labelled else [],
                    )
                )
            elif n in spans:
                if action == "approve":
                    await h.approve(rid, spans[n])
                elif action == "deny":
                    await h.deny(rid, spans[n])
                else:
                    await h.cancel(rid, spans[n], "approved")
        b = await h.balance(as_of)
        entries = await h.ledger(to=as_of)

        def total(*kinds: str) -> Decimal:
            return sum((e.amount for e in entries if e.kind in kinds), D(0))

        assert b.accrued == total(ledger.ACCRUAL)
        assert b.seniority == total(ledger.SENIORITY)
        assert b.label_extra == total(ledger.LABEL)
        assert b.toil_earned == total(ledger.TOIL_CREDIT, ledger.TOIL_EXPIRY)
        assert b.adjustments == total(ledger.ADJUSTMENT)
        assert b.used == total(ledger.DEDUCTION) - total(ledger.RESTORATION)
        assert b.pending == total(ledger.RESERVATION) - total(ledger.RESERVATION_RELEASE)
        assert (
            b.remaining
            == (
                b.accrued
                + b.carried_over
                + b.adjustments
                + b.seniority
                + b.label_extra
                + b.toil_earned
            )
            - b.used
        )
        assert b.available == b.remaining - b.pending + b.negative_allowance
        assert b.pending >= 0
        assert b.used >= 0
    finally:
        await store.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(STEP, max_size=20),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
)
def test_ledger_sums_equal_balance_fields_with_every_entitlement(
    steps: list[tuple[str, int, int, int, Decimal]], as_of: date
) -> None:
    asyncio.run(_run(steps, as_of))

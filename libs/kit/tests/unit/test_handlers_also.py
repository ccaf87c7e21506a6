"""`Handlers.also`: a second feature reacting to events another already handles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

from leaveflow_contracts import Envelope, LeaveCancelled, LeaveDenied, LeaveTypeUpserted
from leaveflow_kit.messaging import HandledEvent, Handlers
from leaveflow_kit.storage import Transaction

FACTS: dict[str, Any] = {
    "request_id": "r1",
    "employee_id": "e1",
    "leave_type_id": "vac",
    "start_date": date(2026, 3, 2),
    "end_date": date(2026, 3, 2),
    "amount": Decimal(1),
}


# The handlers under test never touch the transaction.
NO_TX = cast(Transaction, None)


def handled(data: Any) -> HandledEvent:
    return HandledEvent(envelope=Envelope.wrap(data, tenant_id="t"), data=data, subject="s")


async def test_a_type_both_handle_runs_the_first_then_the_second_and_others_join() -> None:
    seen: list[str] = []
    first, second = Handlers(), Handlers()

    @first.on
    async def fanout(tx: Transaction, data: LeaveCancelled | LeaveDenied) -> None:
        seen.append(f"first:{type(data).__name__}")

    @second.on
    async def status(tx: Transaction, data: LeaveCancelled) -> None:
        seen.append("second")

    @second.on
    async def types(tx: Transaction, data: LeaveTypeUpserted) -> None:
        seen.append("type")

    combined = first.also(second)
    assert sorted(combined) == ["LeaveCancelled", "LeaveDenied", "LeaveTypeUpserted"]
    await combined["LeaveCancelled"](
        NO_TX, handled(LeaveCancelled(**FACTS, previous_status="approved"))
    )
    await combined["LeaveDenied"](NO_TX, handled(LeaveDenied(**FACTS)))
    await combined["LeaveTypeUpserted"](
        NO_TX, handled(LeaveTypeUpserted(leave_type_id="v", name="V"))
    )
    assert seen == ["first:LeaveCancelled", "second", "first:LeaveDenied", "type"]
    assert [c.__name__ for c in combined.event_classes()] == [
        "LeaveCancelled",
        "LeaveDenied",
        "LeaveTypeUpserted",
    ]

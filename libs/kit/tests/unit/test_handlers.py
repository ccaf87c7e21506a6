"""Typed handler registration: the annotation decides which events a handler gets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from leaveflow_contracts import (
    Envelope,
    LeaveCancelled,
    LeaveDenied,
    LeaveRequested,
    LeaveReservationRejected,
    LeaveTypeUpserted,
)
from leaveflow_kit.messaging import Handled, HandledEvent, Handlers
from leaveflow_kit.storage import Transaction

FACTS: dict[str, Any] = {
    "request_id": "r1",
    "employee_id": "e1",
    "leave_type_id": "vac",
    "start_date": date(2026, 3, 2),
    "end_date": date(2026, 3, 2),
    "amount": Decimal(1),
}


def handled(data: Any) -> HandledEvent:
    return HandledEvent(envelope=Envelope.wrap(data, tenant_id="t"), data=data, subject="s")


async def test_a_plain_annotation_registers_its_type_and_passes_the_payload() -> None:
    handlers = Handlers()
    seen: list[object] = []

    @handlers.on
    async def on_type(tx: Transaction, data: LeaveTypeUpserted) -> None:
        seen.append(data)

    event = handled(LeaveTypeUpserted(leave_type_id="vac", name="Vacation"))
    await handlers["LeaveTypeUpserted"](None, event)  # type: ignore[arg-type]
    assert list(handlers) == ["LeaveTypeUpserted"]
    assert seen == [event.data]


async def test_handled_of_a_union_registers_both_and_passes_the_whole_event() -> None:
    handlers = Handlers()
    seen: list[Handled[LeaveDenied | LeaveCancelled]] = []

    @handlers.on
    async def on_ended(tx: Transaction, event: Handled[LeaveDenied | LeaveCancelled]) -> None:
        seen.append(event)

    assert sorted(handlers) == ["LeaveCancelled", "LeaveDenied"]
    cancelled = handled(LeaveCancelled(**FACTS, previous_status="approved"))
    await handlers["LeaveCancelled"](None, cancelled)  # type: ignore[arg-type]
    assert seen == [cancelled]


def test_by_producer_groups_types_by_their_stream() -> None:
    handlers = Handlers()

    @handlers.on
    async def on_ended(tx: Transaction, data: LeaveDenied | LeaveReservationRejected) -> None: ...

    @handlers.on
    async def on_requested(tx: Transaction, data: LeaveRequested) -> None: ...

    grouped = handlers.by_producer()
    assert {p: sorted(t) for p, t in grouped.items()} == {
        "requests": ["LeaveDenied", "LeaveRequested"],
        "balances": ["LeaveReservationRejected"],
    }


def test_a_type_registered_twice_is_refused() -> None:
    handlers, other = Handlers(), Handlers()

    @handlers.on
    async def first(tx: Transaction, data: LeaveDenied) -> None: ...

    with pytest.raises(ValueError, match="LeaveDenied"):

        @handlers.on
        async def second(tx: Transaction, data: LeaveDenied | LeaveCancelled) -> None: ...

    assert list(handlers) == ["LeaveDenied"]  # the refused one left nothing behind

    @other.on
    async def again(tx: Transaction, data: LeaveDenied) -> None: ...

    with pytest.raises(ValueError, match="LeaveDenied"):
        Handlers().include(handlers, other)


def test_include_merges_registrations() -> None:
    a, b = Handlers(), Handlers()

    @a.on
    async def on_denied(tx: Transaction, data: LeaveDenied) -> None: ...

    @b.on
    async def on_cancelled(tx: Transaction, data: LeaveCancelled) -> None: ...

    merged = Handlers().include(a, b)
    assert sorted(merged) == ["LeaveCancelled", "LeaveDenied"]
    assert len(merged) == 2


def test_a_handler_without_an_event_annotation_is_refused() -> None:
    handlers = Handlers()

    async def untyped(tx: Transaction, data) -> None:  # type: ignore[no-untyped-def]
        return None

    async def not_an_event(tx: Transaction, data: int) -> None: ...

    async def bare_handled(tx: Transaction, event: Handled) -> None:  # type: ignore[type-arg]
        return None

    async def one_parameter(tx: Transaction) -> None: ...

    wrong: list[Any] = [untyped, not_an_event, bare_handled, one_parameter]
    for fn in wrong:
        with pytest.raises(TypeError):
            handlers.on(fn)
    assert len(handlers) == 0


async def test_a_payload_of_another_type_is_refused_not_passed_on() -> None:
    handlers = Handlers()

    @handlers.on
    async def on_denied(tx: Transaction, data: LeaveDenied) -> None:
        raise AssertionError("must not run")

    wrong = handled(LeaveCancelled(**FACTS, previous_status="approved"))
    with pytest.raises(TypeError, match="LeaveDenied"):
        await handlers["LeaveDenied"](None, wrong)  # type: ignore[arg-type]


def test_closures_register_too() -> None:
    def make(prefix: str) -> Handlers:
        handlers = Handlers()

        @handlers.on
        async def on_type(tx: Transaction, data: LeaveTypeUpserted) -> None:
            assert prefix

        return handlers

    assert list(make("x")) == ["LeaveTypeUpserted"]

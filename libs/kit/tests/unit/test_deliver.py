"""`deliver` runs a handler the way the consumer does: in one transaction, once per event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from leaveflow_contracts import LeaveTypeUpserted
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.storage import Store, Transaction, open_store
from leaveflow_kit.testing import deliver


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = open_store("memory://")
    await s.start()
    yield s
    await s.close()


def counting() -> tuple[Handlers, list[Handled[LeaveTypeUpserted]]]:
    handlers = Handlers()
    seen: list[Handled[LeaveTypeUpserted]] = []

    @handlers.on
    async def on_type(tx: Transaction, event: Handled[LeaveTypeUpserted]) -> None:
        seen.append(event)
        count = await tx.get("counts", "n")
        await tx.put("counts", "n", {"n": (count or {"n": 0})["n"] + 1})

    return handlers, seen


async def test_deliver_wraps_applies_and_returns_the_envelope(store: Store) -> None:
    handlers, seen = counting()
    at = datetime(2026, 2, 3, 4, 5, tzinfo=UTC)
    data = LeaveTypeUpserted(leave_type_id="vac", name="Vacation")
    env = await deliver(store, handlers, data, tenant_id="t1", occurred_at=at, actor="a")
    assert (env.tenant_id, env.occurred_at, env.actor, env.type) == (
        "t1",
        at,
        "a",
        "LeaveTypeUpserted",
    )
    assert [(e.envelope, e.data, e.subject) for e in seen] == [
        (env, data, "lf.requests.LeaveTypeUpserted.v1")
    ]
    assert await store.get("counts", "n") == {"n": 1}


async def test_redelivering_the_envelope_changes_nothing(store: Store) -> None:
    handlers, seen = counting()
    data = LeaveTypeUpserted(leave_type_id="v", name="V")
    env = await deliver(store, handlers, data, tenant_id="t")
    again = await deliver(store, handlers, env)
    assert again is env
    assert len(seen) == 1
    assert await store.get("counts", "n") == {"n": 1}
    # Another consumer has its own inbox.
    await deliver(store, handlers, env, consumer="other")
    assert await store.get("counts", "n") == {"n": 2}


async def test_an_effect_and_its_inbox_mark_fail_together(store: Store) -> None:
    handlers = Handlers()
    calls: list[int] = []

    @handlers.on
    async def on_type(tx: Transaction, data: LeaveTypeUpserted) -> None:
        calls.append(1)
        await tx.put("counts", "n", {"n": 1})
        if len(calls) == 1:
            raise RuntimeError("boom")

    data = LeaveTypeUpserted(leave_type_id="v", name="V")
    with pytest.raises(RuntimeError):
        await deliver(store, handlers, data, tenant_id="t")
    assert await store.get("counts", "n") is None
    await deliver(store, handlers, data, tenant_id="t")  # not marked: it runs again
    assert calls == [1, 1]


async def test_a_caused_event_keeps_the_chain(store: Store) -> None:
    handlers, _ = counting()
    a = LeaveTypeUpserted(leave_type_id="a", name="A")
    b = LeaveTypeUpserted(leave_type_id="b", name="B")
    first = await deliver(store, handlers, a, tenant_id="t")
    second = await deliver(store, handlers, b, cause=first)
    assert (second.tenant_id, second.correlation_id, second.causation_id) == (
        "t",
        first.correlation_id,
        first.event_id,
    )


async def test_an_event_without_a_handler_or_tenant_is_a_test_error(store: Store) -> None:
    handlers, _ = counting()
    data = LeaveTypeUpserted(leave_type_id="v", name="V")
    with pytest.raises(TypeError, match="tenant_id"):
        await deliver(store, handlers, data)
    with pytest.raises(LookupError, match="LeaveTypeUpserted"):
        await deliver(store, Handlers(), data, tenant_id="t")


async def test_the_old_table_form_is_accepted(store: Store) -> None:
    handlers, seen = counting()
    table = dict(handlers)
    await deliver(store, table, LeaveTypeUpserted(leave_type_id="v", name="V"), tenant_id="t")
    assert len(seen) == 1

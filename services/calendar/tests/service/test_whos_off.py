"""The who's-off projection follows request and directory events, in any order."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest

from leaveflow_calendar.adapters.snapshot_cache import MemorySnapshotCache
from leaveflow_calendar.service_layer.queries import Viewer, whos_off_views
from leaveflow_contracts import (
    LeaveApproved,
    LeaveDenied,
    LeavePending,
    LeaveRejected,
    LeaveRepriced,
    LeaveRequested,
    LeaveReservationRejected,
)
from leaveflow_kit.storage import Store

T = "tenant-1"
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
ADMIN = Viewer(T, "admin", "admin")


# A snapshot cache lives as long as its store, as in the service: within a test every read
# goes through it, so each test also proves that each event invalidates what was cached.
SNAPSHOTS = MemorySnapshotCache()


@pytest.fixture(autouse=True)
def fresh_snapshots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(globals(), "SNAPSHOTS", MemorySnapshotCache())


async def whos_off(
    store: Store, snapshots: MemorySnapshotCache, viewer: Viewer, start: date, end: date, **kw: Any
) -> list[dict[str, object]]:
    """The API's items of `whos_off_views`."""
    views = await whos_off_views(store, snapshots, viewer, start, end, **kw)
    return [view.as_item() for view in views]


async def off(store: Store, viewer: Viewer = ADMIN, **kw: Any) -> list[dict[str, Any]]:
    return await whos_off(store, SNAPSHOTS, viewer, *MARCH, **kw)


async def test_approved_leave_is_listed_with_names(store: Store, events: Any) -> None:
    await events.standard_directory()
    facts = events.facts("r1", end_part="am")
    await events.deliver(LeaveRequested(**facts))
    await events.deliver(LeavePending(**facts))
    assert await off(store) == []
    (pending,) = await off(store, include_pending=True)
    assert pending["status"] == "pending"
    await events.deliver(LeaveApproved(**facts))
    (item,) = await off(store)
    assert item == {
        "request_id": "r1",
        "employee_id": "e1",
        "employee_name": "Ana Lima",
        "department_id": "d1",
        "location_id": "l1",
        "leave_type_id": "vac",
        "leave_type_name": "Vacation",
        "leave_type_color": None,
        "private": False,
        "start_date": "2026-03-02",
        "end_date": "2026-03-04",
        "start_part": "full",
        "end_part": "am",
        "status": "approved",
    }


async def test_a_submitted_request_is_not_pending_yet(store: Store, events: Any) -> None:
    # LeavePending means reserved and waiting; before it the request may still be rejected.
    await events.standard_directory()
    await events.deliver(LeaveRequested(**events.facts("r1")))
    assert await off(store, include_pending=True) == []


async def test_window_and_filters(store: Store, events: Any) -> None:
    await events.standard_directory()
    await events.approved("r1")
    assert await whos_off(store, SNAPSHOTS, ADMIN, date(2026, 3, 5), date(2026, 3, 9)) == []
    assert len(await whos_off(store, SNAPSHOTS, ADMIN, date(2026, 3, 4), date(2026, 3, 4))) == 1
    assert await off(store, department_id="d2") == []
    assert len(await off(store, department_id="d1")) == 1
    assert await off(store, location_id="l2") == []
    assert len(await off(store, location_id="l1")) == 1


async def test_half_days_keep_their_parts(store: Store, events: Any) -> None:
    await events.standard_directory()
    await events.approved(
        "r1", start_date=date(2026, 3, 2), end_date=date(2026, 3, 2), start_part="pm"
    )
    await events.approved(
        "r2",
        start_date=date(2026, 3, 9),
        end_date=date(2026, 3, 11),
        start_part="pm",
        end_part="am",
    )
    parts = [(i["request_id"], i["start_part"], i["end_part"]) for i in await off(store)]
    assert parts == [("r1", "pm", "full"), ("r2", "pm", "am")]


async def test_cancellation_after_approval_removes_it(store: Store, events: Any) -> None:
    await events.standard_directory()
    await events.approved("r1")
    assert len(await off(store)) == 1
    await events.cancelled("r1")
    assert await off(store, include_pending=True) == []


@pytest.mark.parametrize("ending", ["denied", "rejected", "reservation_rejected"])
async def test_ended_requests_disappear(store: Store, events: Any, ending: str) -> None:
    await events.standard_directory()
    facts = events.facts("r1")
    await events.deliver(LeaveRequested(**facts))
    await events.deliver(LeavePending(**facts))
    end = {
        "denied": LeaveDenied(**facts),
        "rejected": LeaveRejected(**facts, rejection_reason="insufficient_balance"),
        "reservation_rejected": LeaveReservationRejected(
            request_id="r1", employee_id="e1", leave_type_id="vac", amount="3", reason="x"
        ),
    }[ending]
    await events.deliver(end)
    assert await off(store, include_pending=True) == []


async def test_renames_show_at_once(store: Store, events: Any) -> None:
    await events.standard_directory()
    await events.approved("r1")
    await events.employee("e1", "Ana Souza")
    await events.leave_type("vac", "Holiday")
    (item,) = await off(store)
    assert (item["employee_name"], item["leave_type_name"]) == ("Ana Souza", "Holiday")


async def test_department_moves_follow_the_person(store: Store, events: Any) -> None:
    await events.standard_directory()
    await events.approved("r1")
    await events.employee("e1", "Ana Lima", department_id="d2", location_id="l2")
    assert await off(store, department_id="d1") == []
    (item,) = await off(store, department_id="d2")
    assert (item["department_id"], item["location_id"]) == ("d2", "l2")


async def test_leavers_are_off_the_calendar_after_their_last_day(store: Store, events: Any) -> None:
    await events.standard_directory()
    await events.approved("r1", start_date=date(2026, 3, 2), end_date=date(2026, 3, 6))
    await events.approved("r2", start_date=date(2026, 3, 16), end_date=date(2026, 3, 17))
    await events.employee("e1", "Ana Lima", end_date=date(2026, 3, 3))
    (item,) = await off(store)
    assert (item["request_id"], item["start_date"], item["end_date"]) == (
        "r1",
        "2026-03-02",
        "2026-03-03",
    )


async def test_pending_leave_follows_the_requests_visibility(store: Store, events: Any) -> None:
    await events.standard_directory()
    await events.employee("e2", "Bo Berg")
    await events.deliver(LeavePending(**events.facts("r1")))
    await events.deliver(LeavePending(**events.facts("r2", employee_id="e2")))
    await events.approved(
        "r3", employee_id="e2", start_date=date(2026, 3, 20), end_date=date(2026, 3, 20)
    )

    def ids(items: list[dict[str, Any]]) -> list[str]:
        return sorted(i["request_id"] for i in items)

    ana = Viewer(T, "e1", "user")
    assert ids(await off(store, ana, include_pending=True)) == ["r1", "r3"]
    assert ids(await off(store, ana)) == ["r3"]
    assert ids(await off(store, Viewer(T, "x", "admin"), include_pending=True)) == [
        "r1",
        "r2",
        "r3",
    ]
    # An approver sees the pending leave of the departments they approve for, only.
    await events.department("d1", "Engineering", approver_ids=["boss"])
    await events.department("d2", "Sales", approver_ids=["other"])
    boss = Viewer(T, "boss", "approver")
    assert ids(await off(store, boss, include_pending=True)) == ["r1", "r2", "r3"]
    other = Viewer(T, "other", "approver")
    assert ids(await off(store, other, include_pending=True)) == ["r3"]
    # Listed as an approver but demoted to user: their own only, as any user.
    assert ids(await off(store, Viewer(T, "boss", "user"), include_pending=True)) == ["r3"]


async def test_other_tenants_leave_is_invisible(store: Store, events: Any) -> None:
    await events.standard_directory()
    await events.approved("r1")
    assert await off(store, Viewer("someone-else", "admin", "admin"), include_pending=True) == []


async def test_a_late_request_event_does_not_revive_rejected_leave(
    store: Store, events: Any
) -> None:
    # The balances consumer may run ahead of the requests consumer.
    await events.standard_directory()
    await events.deliver(
        LeaveReservationRejected(
            request_id="r1", employee_id="e1", leave_type_id="vac", amount="3", reason="x"
        )
    )
    await events.deliver(LeaveRequested(**events.facts("r1")))
    await events.deliver(LeavePending(**events.facts("r1")))
    assert await off(store, include_pending=True) == []


async def test_a_late_approval_does_not_revive_cancelled_leave(store: Store, events: Any) -> None:
    await events.standard_directory()
    await events.cancelled("r1")
    await events.deliver(LeaveApproved(**events.facts("r1")))
    assert await off(store) == []


async def test_a_late_pending_does_not_downgrade_an_approval(store: Store, events: Any) -> None:
    await events.standard_directory()
    facts = events.facts("r1")
    await events.deliver(LeaveApproved(**facts))
    await events.deliver(LeavePending(**facts), at=events.clock - timedelta(minutes=5))
    await events.deliver(LeaveRequested(**facts), at=events.clock - timedelta(minutes=6))
    (item,) = await off(store)
    assert item["status"] == "approved"


async def test_an_old_directory_event_arriving_late_changes_nothing(
    store: Store, events: Any
) -> None:
    await events.standard_directory()
    await events.approved("r1")
    await events.employee("e1", "Ana Souza", department_id="d2")
    await events.employee(
        "e1", "Ana Lima", department_id="d1", at=events.clock - timedelta(hours=1)
    )
    (item,) = await off(store)
    assert (item["employee_name"], item["department_id"]) == ("Ana Souza", "d2")


async def test_repricing_keeps_the_status_and_takes_the_newest_facts(
    store: Store, events: Any
) -> None:
    await events.standard_directory()
    await events.approved("r1")
    repriced = LeaveRepriced(
        **events.facts("r1", amount="2", working_days=[date(2026, 3, 2), date(2026, 3, 4)]),
        old_amount="3",
        status="approved",
    )
    await events.deliver(repriced)
    await events.deliver(
        LeavePending(**events.facts("r1", amount="3")), at=events.clock - timedelta(hours=1)
    )
    docs = await store.find("absences", {"tenant_id": T})
    assert [(d["status"], d["amount"]) for d in docs] == [("approved", "2.00")]


LIFE = ["requested", "pending", "approved", "repriced"]


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
async def test_any_delivery_order_gives_the_same_projection(
    store: Store, events: Any, order: tuple[int, ...]
) -> None:
    """Events happen in LIFE order (one minute apart) but arrive in `order`, each twice."""
    await events.standard_directory()
    start = events.clock
    facts = events.facts("r1")
    made = [
        LeaveRequested(**facts),
        LeavePending(**facts),
        LeaveApproved(**facts),
        LeaveRepriced(**{**facts, "amount": "2"}, old_amount="3", status="approved"),
    ]
    for index in [*order, *order]:
        await events.deliver(made[index], at=start + timedelta(minutes=index + 1))
    docs = await store.find("absences", {"tenant_id": T})
    assert [(d["status"], d["amount"], d["as_of"]) for d in docs] == [
        ("approved", "2.00", (start + timedelta(minutes=4)).isoformat())
    ]

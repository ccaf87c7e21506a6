"""Reminders and escalation with two replicas of every service (SQLite files shared by
each service's replicas, a 3-node NATS cluster): the pending rules run on one requests
replica at a time, and a kill -9 of that replica, its takeover and its restart send no
reminder or escalation twice, and skip none.

Real time, so the rules are in thousandths of an hour; the approver's location is in a
zone where it is midday now, so the 09:00-18:00 window holds for the whole test.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import nats
import pytest
from nats.js.api import DeliverPolicy

from leaveflow_contracts.subjects import subject_for
from leaveflow_devstack.replicas import ReplicatedStack, replica_name
from leaveflow_devstack.testing import eventually, sign_up
from leaveflow_kit.messaging.lease import BUCKET as LEASE_BUCKET

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

LEASE = "requests_approval_schedule"
RULES = {
    "remind_after_hours": 0.002,  # 7.2 s
    "remind_every_hours": 0.003,  # 10.8 s
    "max_reminders": 3,
    "escalate_after_hours": 0.004,  # 14.4 s
}


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about 12:00 now."""
    offset = 12 - now.hour
    # POSIX-style names: Etc/GMT-3 is three hours *ahead* of UTC.
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


@pytest.fixture(scope="module")
def ha(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplicatedStack]:
    stack = ReplicatedStack(tmp_path_factory.mktemp("ha-schedule"), ready_timeout=150.0)
    with stack:
        yield stack


async def _stream(url: str, event_type: str) -> list[dict[str, Any]]:
    nc = await nats.connect(servers=url.split(","))
    try:
        js = nc.jetstream()
        subject = subject_for("requests", event_type)
        sub = await js.subscribe(subject, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
        found = []
        while True:
            try:
                message = await sub.next_msg(timeout=1.0)
            except nats.errors.TimeoutError:
                break
            found.append(json.loads(message.data))
        await sub.unsubscribe()
        return found
    finally:
        await nc.close()


def published(ha: ReplicatedStack, event_type: str, request_id: str) -> list[dict[str, Any]]:
    """What JetStream holds of `event_type` for the request (what consumers will get)."""
    events = asyncio.run(_stream(ha.cluster.url, event_type))
    return [e["data"] for e in events if e["data"].get("request_id") == request_id]


async def _holder(url: str) -> str:
    nc = await nats.connect(servers=url.split(","))
    try:
        kv = await nc.jetstream().key_value(LEASE_BUCKET)
        entry = await kv.get(LEASE)
        return (entry.value or b"").decode()
    finally:
        await nc.close()


def holding_replica(ha: ReplicatedStack) -> int:
    port = int(asyncio.run(_holder(ha.cluster.url)).rsplit(":", 1)[1])
    return ha.ports["requests"].index(port)


def test_reminders_and_escalation_run_once_across_replicas_and_a_kill(
    ha: ReplicatedStack,
) -> None:
    admin = sign_up(ha.urls(0))
    office = admin.location("Office", timezone=midday_zone(datetime.now(UTC)))
    vacation = admin.leave_type("Vacation", location_ids=[office])
    bo, _ = admin.employee("Bo", role="approver", location_id=office)
    with admin.client("requests") as http:
        r = http.post("/v1/departments", json={"name": "Ops", "approver_ids": [bo]})
        assert r.status_code == 201, r.text
        department = r.json()["id"]
        r = http.put("/v1/approval-settings", json=RULES)
        assert r.status_code == 200, r.text
    ana, ana_token = admin.employee("Ana", location_id=office, department_id=department)
    start = date.today() + timedelta(days=60)
    while start.isoweekday() > 5:
        start += timedelta(days=1)
    day = start.isoformat()
    r = httpx.post(
        f"{ha.url('requests', 1)}/v1/leave-requests",
        json={"leave_type_id": vacation, "start_date": day, "end_date": day},
        headers={"authorization": f"Bearer {ana_token}"},
        timeout=10,
    )
    assert r.status_code == 202, r.text
    request_id = r.json()["id"]

    def pending() -> bool:
        with admin.client("requests") as http:
            return bool(http.get(f"/v1/leave-requests/{request_id}").json()["status"] == "pending")

    eventually(pending, timeout=30, what="request pending")

    def reminded(count: int) -> list[dict[str, Any]] | None:
        sent = published(ha, "ApprovalReminderDue", request_id)
        return sent if len(sent) >= count else None

    first = eventually(lambda: reminded(1), timeout=40, what="first reminder")
    assert [(e["reminder_number"], e["approval"]["deciders"]) for e in first] == [(1, [bo])]

    # The replica running the schedule dies; the other takes over once its lease ages out.
    victim = replica_name("requests", holding_replica(ha))
    ha.kill(victim)
    sent = eventually(lambda: reminded(3), timeout=90, what="all three reminders")
    escalated = eventually(
        lambda: published(ha, "ApprovalEscalated", request_id) or None,
        timeout=30,
        what="escalation",
    )
    ha.start_process(victim)  # a restart reads what was sent, and sends none of it again
    time.sleep(RULES["remind_every_hours"] * 3600 + 2)  # past when a 4th would be due
    sent = published(ha, "ApprovalReminderDue", request_id)
    assert [e["reminder_number"] for e in sent] == [1, 2, 3]
    assert len({e["reminder_number"] for e in sent}) == 3
    escalated = published(ha, "ApprovalEscalated", request_id)
    assert len(escalated) == 1
    assert escalated[0]["admin_ids"] == [admin.admin_id]
    assert escalated[0]["cause"] == "waited"
    assert ana == sent[0]["employee_id"]

"""The requests service end to end: two German locations, a department with its approver,
50 people imported from CSV, requests across regional holidays, approve / deny / cancel,
and the SSE stream showing every transition in order (and resuming after Last-Event-ID).

The dates come from today: the first coming week with one day off in Munich (DE/BY) that
is a working day in Berlin (DE/BE) -- Epiphany, Corpus Christi, Assumption Day or All
Saints' Day, whichever is next -- and the first with one day off in both (Easter, May Day,
Ascension, Whit Monday, Unity Day...).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import holidays
import httpx
import pytest
from httpx_sse import aconnect_sse

from leaveflow_devstack.testing import Tenant, coming_monday

pytestmark = pytest.mark.e2e

STREAM_WAIT = 15.0

# Germany's days off as the requests service counts them (`public` + `catholic`).
BAVARIA = holidays.country_holidays("DE", subdiv="BY", categories=("public", "catholic"))
BERLIN = holidays.country_holidays("DE", subdiv="BE", categories=("public", "catholic"))


def days_off(calendar: holidays.HolidayBase, week: Sequence[date]) -> list[date]:
    return [day for day in week if day in calendar]


# A week with one Bavarian day off that Berlin works, and a week with one day off in both.
REGIONAL = coming_monday(
    where=lambda week: len(days_off(BAVARIA, week)) == 1 and not days_off(BERLIN, week)
)
SHARED = coming_monday(
    where=lambda week: (
        len(days_off(BAVARIA, week)) == 1 and days_off(BAVARIA, week) == days_off(BERLIN, week)
    )
)


def friday(monday: date) -> str:
    return (monday + timedelta(days=4)).isoformat()


def day_off(calendar: holidays.HolidayBase, monday: date) -> str:
    (found,) = days_off(calendar, [monday + timedelta(days=i) for i in range(5)])
    return found.isoformat()


@dataclass
class StreamLog:
    """Every SSE message one caller receives, recorded by a background task."""

    events: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def until(self, check: Callable[[list[dict[str, Any]]], bool], what: str) -> None:
        async with asyncio.timeout(STREAM_WAIT):
            while not check(self.events):
                self.arrived.clear()
                await self.arrived.wait()

    def of(self, request_id: str) -> list[str]:
        return [e["type"] for e in self.events if e["data"].get("request_id") == request_id]


@contextlib.asynccontextmanager
async def streaming(
    url: str, token: str, last_event_id: str | None = None
) -> AsyncIterator[StreamLog]:
    log = StreamLog()
    opened = asyncio.Event()
    headers = {"authorization": f"Bearer {token}"}
    if last_event_id:
        headers["last-event-id"] = last_event_id

    async def read() -> None:
        async with (
            httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(10, read=None)) as client,
            aconnect_sse(client, "GET", "/v1/stream", headers=headers) as source,
        ):
            assert source.response.status_code == 200
            opened.set()
            async for message in source.aiter_sse():
                if not message.data:
                    continue  # the opening `retry:` hint: browsers dispatch nothing for it
                envelope = json.loads(message.data)
                assert message.id == envelope["event_id"]
                assert message.event == envelope["type"]
                log.events.append(envelope)
                log.arrived.set()

    task = asyncio.create_task(read())
    async with asyncio.timeout(STREAM_WAIT):
        await asyncio.wait(
            {task, asyncio.create_task(opened.wait())}, return_when="FIRST_COMPLETED"
        )
    if task.done():
        task.result()  # the stream failed to open: raise its error
    try:
        yield log
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _csv(munich: str, berlin: str, department: str) -> str:
    rows = ["name,email,location,department,role,start_date"]
    for i in range(50):
        where = munich if i % 2 == 0 else berlin
        rows.append(f"Person {i},p{i}@scenario.test,{where},{department},user,2024-01-01")
    return "\n".join(rows) + "\n"


async def test_directory_holidays_decisions_and_the_stream(tenant: Tenant) -> None:
    api = tenant.client("requests")
    munich = tenant.location(
        "Munich", timezone="Europe/Berlin", holidays={"country": "DE", "subdivision": "BY"}
    )
    berlin = tenant.location(
        "Berlin", timezone="Europe/Berlin", holidays={"country": "DE", "subdivision": "BE"}
    )
    vacation = tenant.leave_type("Vacation", allowance=25, location_ids=[munich, berlin])
    boss_id, boss = tenant.employee("Bea Boss", role="approver", location_id=munich)
    r = api.post("/v1/departments", json={"name": "Engineering", "approver_ids": [boss_id]})
    assert r.status_code == 201, r.text
    department = r.json()["id"]

    # 50 people, by location and department *name*; the second import only updates.
    body = _csv("Munich", "Berlin", "Engineering")
    csv_headers = {"content-type": "text/csv"}
    r = api.post("/v1/employees/import", content=body, headers=csv_headers)
    assert r.json() == {"created": 50, "updated": 0, "errors": []}, r.text
    r = api.post("/v1/employees/import", content=body, headers=csv_headers)
    assert r.json() == {"created": 0, "updated": 50, "errors": []}, r.text
    people = []
    cursor = None
    while True:
        r = api.get(
            "/v1/employees", params={"limit": 20, "cursor": cursor} if cursor else {"limit": 20}
        )
        people += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    imported = {p["email"]: p for p in people if p["email"].endswith("@scenario.test")}
    assert len(imported) == 50
    assert {p["department_id"] for p in imported.values()} == {department}
    anna, bert, cleo = (imported[f"p{i}@scenario.test"] for i in (0, 1, 2))
    assert (anna["location_id"], bert["location_id"], cleo["location_id"]) == (
        munich,
        berlin,
        munich,
    )
    token = {p["id"]: tenant.login(p["email"]) for p in (anna, bert, cleo)}

    def submit(person: dict[str, Any], start: str, end: str) -> dict[str, Any]:
        with httpx.Client(base_url=tenant.urls["requests"], timeout=10) as http:
            r = http.post(
                "/v1/leave-requests",
                json={"leave_type_id": vacation, "start_date": start, "end_date": end},
                headers={"authorization": f"Bearer {token[person['id']]}"},
            )
        assert r.status_code == 202, r.text
        return dict(r.json())

    # The working days differ by region before anything is requested.
    for person, amount in ((anna, "4"), (bert, "5")):
        r = api.get(
            "/v1/working-days",
            params={
                "employee_id": person["id"],
                "start_date": REGIONAL.isoformat(),
                "end_date": friday(REGIONAL),
            },
        )
        assert r.status_code == 200, r.text
        assert float(r.json()["amount"]) == float(amount)

    async with (
        streaming(tenant.urls["requests"], boss) as seen_by_boss,
        streaming(tenant.urls["requests"], token[anna["id"]]) as seen_by_anna,
    ):
        regional, shared = day_off(BAVARIA, REGIONAL), day_off(BAVARIA, SHARED)
        in_munich = submit(anna, REGIONAL.isoformat(), friday(REGIONAL))  # a day off: 4 days
        in_berlin = submit(bert, REGIONAL.isoformat(), friday(REGIONAL))  # worked there: 5
        everywhere = submit(cleo, SHARED.isoformat(), friday(SHARED))  # off everywhere: 4 days
        assert float(in_munich["amount"]) == 4
        assert regional not in in_munich["working_days"]
        assert float(in_berlin["amount"]) == 5
        assert regional in in_berlin["working_days"]
        assert float(everywhere["amount"]) == 4
        assert shared not in everywhere["working_days"]

        ids = [in_munich["id"], in_berlin["id"], everywhere["id"]]
        await seen_by_boss.until(
            lambda _: all(seen_by_boss.of(i)[-1:] == ["LeavePending"] for i in ids),
            "all three pending",
        )

        # Approve, deny (a note is required), cancel by the requester.
        async def act(who: str, request_id: str, action: str, **body: str) -> httpx.Response:
            async with httpx.AsyncClient(base_url=tenant.urls["requests"], timeout=10) as http:
                return await http.post(
                    f"/v1/leave-requests/{request_id}/{action}",
                    json=body,
                    headers={"authorization": f"Bearer {who}"},
                )

        r = await act(boss, in_berlin["id"], "deny")
        assert r.status_code == 422, r.text
        r = await act(token[cleo["id"]], in_munich["id"], "approve")
        assert r.status_code == 403, r.text
        r = await act(boss, in_munich["id"], "approve", note="ok")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "approved"
        r = await act(boss, in_berlin["id"], "deny", note="release week")
        assert r.status_code == 200, r.text
        r = await act(token[cleo["id"]], everywhere["id"], "cancel")
        assert r.status_code == 200, r.text
        r = await act(boss, in_berlin["id"], "approve")
        assert r.status_code == 409, r.text  # denied is final

        done = {
            in_munich["id"]: ["LeaveRequested", "LeavePending", "LeaveApproved"],
            in_berlin["id"]: ["LeaveRequested", "LeavePending", "LeaveDenied"],
            everywhere["id"]: ["LeaveRequested", "LeavePending", "LeaveCancelled"],
        }
        await seen_by_boss.until(
            lambda _: all(seen_by_boss.of(i) == want for i, want in done.items()),
            "every transition",
        )
        await seen_by_anna.until(lambda _: seen_by_anna.of(ids[0])[-1:] == ["LeaveApproved"], "")

    # The stream is in event-id order, and each event carries actor, amount and days.
    stream_ids = [e["event_id"] for e in seen_by_boss.events]
    assert stream_ids == sorted(stream_ids)
    assert len(set(stream_ids)) == len(stream_ids)
    approved = next(e for e in seen_by_boss.events if e["type"] == "LeaveApproved")
    assert approved["actor"] == boss_id
    assert approved["data"]["amount"] == "4.00"
    assert day_off(BAVARIA, REGIONAL) not in approved["data"]["working_days"]
    assert approved["data"]["department_id"] == department
    pending = next(e for e in seen_by_boss.events if e["type"] == "LeavePending")
    assert pending["actor"] == "system"

    # A user's stream holds their own requests only (and the directory).
    assert {e["data"]["request_id"] for e in seen_by_anna.events if "request_id" in e["data"]} == {
        in_munich["id"]
    }

    # The history of each request records the same transitions.
    r = api.get(f"/v1/leave-requests/{in_berlin['id']}")
    assert [h["to"] for h in r.json()["history"]] == ["submitted", "pending", "denied"]
    assert r.json()["history"][-1]["note"] == "release week"

    # Resume: after a given event, exactly the events that followed it.
    middle = len(seen_by_boss.events) // 2
    resume_from = seen_by_boss.events[middle]["event_id"]
    async with streaming(tenant.urls["requests"], boss, last_event_id=resume_from) as resumed:
        expected = stream_ids[middle + 1 :]
        await resumed.until(lambda ev: len(ev) >= len(expected), "the resumed tail")
        assert [e["event_id"] for e in resumed.events] == expected
    api.close()


def test_the_stream_refuses_strangers_and_bad_resume_points(tenant: Tenant) -> None:
    url = f"{tenant.urls['requests']}/v1/stream"
    r = httpx.get(url, timeout=10)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    r = httpx.get(url, headers={**tenant.headers, "last-event-id": "not-an-id"}, timeout=10)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Last-Event-ID"

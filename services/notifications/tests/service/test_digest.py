"""The daily digest: due at the tenant's local time, once a day, to the channel (Slack,
Teams) and by email to the admins, with who is off today and later this week."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from leaveflow_contracts import TenantCreated
from leaveflow_kit.testing import WebhookSink
from leaveflow_notifications.adapters.leaveflow_api import LeaveflowHttpApi
from leaveflow_notifications.service_layer.digest import DigestScheduler, due_day


@pytest.mark.parametrize(
    ("now", "zone", "at", "expected"),
    [
        ("2026-03-02T07:59", "UTC", "08:00", None),
        ("2026-03-02T08:00", "UTC", "08:00", date(2026, 3, 2)),
        ("2026-03-02T07:30", "Europe/Berlin", "08:00", date(2026, 3, 2)),  # 08:30 local
        ("2026-03-02T06:30", "Europe/Berlin", "08:00", None),  # 07:30 local
        ("2026-03-02T23:30", "Asia/Tokyo", "08:00", date(2026, 3, 3)),  # next day there
        ("2026-03-02T09:00", "Not/AZone", "08:00", date(2026, 3, 2)),  # falls back to UTC
    ],
)
def test_digest_is_due_at_the_local_time(
    now: str, zone: str, at: str, expected: date | None
) -> None:
    assert due_day(datetime.fromisoformat(now).replace(tzinfo=UTC), zone, at) == expected


async def test_digest_once_a_day_to_the_channel_and_admins(world: Any, sink: WebhookSink) -> None:
    # One loopback peer plays the requests service (service token) and calendar (whos-off).
    sink.ok_body = json.dumps(
        {
            "token": "not-checked-by-this-peer",
            "items": [
                {
                    "employee_name": "Ana Lima",
                    "leave_type_name": "Vacation",
                    "start_date": "2026-03-02",
                    "end_date": "2026-03-03",
                },
                {
                    "employee_name": "Bo Berg",
                    "leave_type_name": "Vacation",
                    "start_date": "2026-03-05",
                    "end_date": "2026-03-05",
                },
            ],
        }
    )
    base = f"http://127.0.0.1:{sink.port}"
    await world.feed(
        TenantCreated(tenant_id="t1", name="T1", timezone="Europe/Berlin", admin_id="t1-cy")
    )
    await world.connect(
        "slack", team_id="T1", webhook_url=f"{base}/hook", signing_secret="s", digest_time="08:00"
    )
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    api = LeaveflowHttpApi({"requests": base, "calendar": base, "balances": base}, "svc")
    woken: list[int] = []
    digest = DigestScheduler(world.store, api, world.clock, lambda: woken.append(1))
    try:
        world.clock.move_to(datetime(2026, 3, 2, 6, 30, tzinfo=UTC))  # 07:30 in Berlin
        assert await digest.run_once() == 0
        world.clock.advance(timedelta(hours=1))
        assert await digest.run_once() == 2
        assert await digest.run_once() == 0, "once a day"
        world.clock.advance(timedelta(days=1))
        assert await digest.run_once() == 2, "and again the next day"
    finally:
        await api.close()
    assert woken
    (calendar_call,) = [c for c in sink.snapshot() if c.path == "/v1/whos-off"][:1]
    assert calendar_call.headers["Authorization"] == "Bearer not-checked-by-this-peer"
    token_call = next(c for c in sink.snapshot() if c.path == "/v1/auth/service-token")
    assert token_call.json() == {"tenant_id": "t1", "employee_id": "t1-cy", "via": "digest"}
    first_day = await world.deliveries(event_id="digest-t1-2026-03-02")
    assert sorted((d["channel"], d["recipient"]) for d in first_day) == [
        ("email", "t1-cy"),
        ("slack", "channel"),
    ]
    summary = first_day[0]["payload"]["notice"]
    assert [i["name"] for i in summary["items"]] == ["Ana Lima"]
    assert [i["name"] for i in summary["later"]] == ["Bo Berg"]
    assert await world.dispatcher("slack").send_due() == 2
    # Both days were due at once here, and sends to one destination run concurrently:
    # the order they reach the sink in is not the order they were made in.
    posts = sorted(
        (c.json() for c in sink.snapshot() if c.path == "/hook"), key=lambda p: p["text"]
    )
    assert [p["text"].split(":")[0] for p in posts] == [
        "Who is off on 2026-03-02",
        "Who is off on 2026-03-03",
    ]
    assert "Ana Lima (Vacation, 2026-03-02 to 2026-03-03)" in posts[0]["text"]


async def test_a_private_types_leave_is_away_in_the_digest(world: Any, sink: WebhookSink) -> None:
    """The digest reads who is off as an admin, who sees private types; a channel is
    everyone's, so the digest names them "Away" (issue 15)."""
    sink.ok_body = json.dumps(
        {
            "token": "not-checked-by-this-peer",
            "items": [
                {
                    "employee_name": "Ana Lima",
                    "leave_type_name": "Sick leave",
                    "private": True,
                    "start_date": "2026-03-02",
                    "end_date": "2026-03-02",
                },
                {
                    "employee_name": "Bo Berg",
                    "leave_type_name": "Vacation",
                    "private": False,
                    "start_date": "2026-03-02",
                    "end_date": "2026-03-02",
                },
            ],
        }
    )
    base = f"http://127.0.0.1:{sink.port}"
    await world.feed(TenantCreated(tenant_id="t1", name="T1", timezone="UTC", admin_id="t1-cy"))
    await world.connect(
        "slack", team_id="T1", webhook_url=f"{base}/hook", signing_secret="s", digest_time="08:00"
    )
    api = LeaveflowHttpApi({"requests": base, "calendar": base, "balances": base}, "svc")
    digest = DigestScheduler(world.store, api, world.clock, lambda: None)
    try:
        world.clock.move_to(datetime(2026, 3, 2, 8, 30, tzinfo=UTC))
        assert await digest.run_once() == 1
    finally:
        await api.close()
    assert await world.dispatcher("slack").send_due() == 1
    (post,) = [c.json() for c in sink.snapshot() if c.path == "/hook"]
    assert "Ana Lima (Away, 2026-03-02)" in post["text"]
    assert "Sick leave" not in post["text"]
    assert "Bo Berg (Vacation, 2026-03-02)" in post["text"]

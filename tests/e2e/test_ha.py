"""Scaled out on one machine: two replicas of every service and of the web, sharing each
service's store, on a 3-node NATS cluster with every stream at replicas 3.

Clients alternate between the replicas (replica a for one call, b for the next), and each
replica calls the *other* replica of its peers. Every effect of an event happens once across
replicas: the balance reservations, the calendar rows, one Slack message per recipient, the
digest once a day, the year end once per location. A live stream on either requests replica
sees every event; an iCal feed is fresh on either calendar replica; a web session works on
either web replica; every stream (and the consumers' lease bucket) is kept on 3 nodes.

Runs on MongoDB by default (``MONGO_URL``, else one mongoeco stand-in per service); on the
shared SQLite files too with ``LEAVEFLOW_HA_STORES=sqlite,mongo``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

import httpx
import nats
import pytest
from icalendar import Calendar
from slack_sdk.signature import SignatureVerifier

from leaveflow_contracts import all_streams
from leaveflow_devstack.mongo import MongoStandin, mongo_plan, with_database
from leaveflow_devstack.ports import SERVICES
from leaveflow_devstack.replicas import ReplicatedStack
from leaveflow_devstack.testing import Tenant, eventually, sign_up, wait_offered
from leaveflow_kit.messaging.lease import BUCKET as LEASE_BUCKET
from leaveflow_kit.testing import WebhookSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

REPLICAS = (0, 1)
SIGNING = "e2e-ha-signing-secret"
DIGEST_EVERY = 0.3  # seconds between each notifications replica's digest checks
FIRST_MONDAY = date(date.today().year + 2, 2, 1)
while FIRST_MONDAY.isoweekday() != 1:
    FIRST_MONDAY += timedelta(days=1)


@contextlib.contextmanager
def shared_stores(kind: str, root: Path) -> Iterator[dict[str, str]]:
    """Each service's ``<SERVICE>_DATABASE_URL``, one store shared by its two replicas.

    SQLite: the stack's default files (nothing to set). MongoDB: ``MONGO_URL`` if set, else
    one mongoeco stand-in per service (it conflicts any two concurrent transactions
    server-wide, so a stack gives each service its own, as each owns its database)."""
    if kind == "sqlite":
        print("HA stores: one SQLite file per service, shared by its replicas")
        yield {}
        return
    plan = mongo_plan(docker=False)
    if plan.kind == "unavailable":
        pytest.skip(plan.detail)
    print(f"HA stores: {plan.detail}")
    run = uuid4().hex[:8]
    if plan.kind == "real":
        url = os.environ["MONGO_URL"]
        yield {
            f"{s.upper()}_DATABASE_URL": with_database(url, f"lf_ha_{run}_{s}") for s in SERVICES
        }
        return
    standins = {
        service: MongoStandin(root / "logs" / f"mongo-{service}.log", python=plan.python)
        for service in SERVICES
    }
    # Started side by side (about 4 s each). The pool's threads forked them and stay alive
    # until the stand-ins are stopped: a child's parent-death signal follows its forking
    # thread (see leaveflow_devstack.process).
    with ThreadPoolExecutor(len(standins)) as pool:
        try:
            for started in [pool.submit(s.start) for s in standins.values()]:
                started.result()
            yield {
                f"{service.upper()}_DATABASE_URL": standin.database_url(f"leaveflow_{service}")
                for service, standin in standins.items()
            }
        finally:
            for standin in standins.values():
                standin.stop()


# The production shape (MongoDB) runs by default; SQLite too when asked, e.g.
# LEAVEFLOW_HA_STORES=sqlite,mongo (each costs about a minute: 13 processes, 4 stand-ins).
STORES = os.environ.get("LEAVEFLOW_HA_STORES", "mongo").replace(" ", "").split(",")


# Only the stores asked for are collected at all (nothing shows as skipped).
@pytest.fixture(scope="module", params=[s for s in ("mongo", "sqlite") if s in STORES])
def ha(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ReplicatedStack]:
    root = tmp_path_factory.mktemp(f"ha-{request.param}")
    with shared_stores(request.param, root) as stores:
        stack = ReplicatedStack(
            root,
            env={"NOTIFICATIONS_DIGEST_INTERVAL": str(DIGEST_EVERY), **stores},
            ready_timeout=120.0,
        )
        with stack:
            yield stack


@pytest.fixture(autouse=True)
def _logs_on_failure(request: pytest.FixtureRequest, ha: ReplicatedStack) -> Iterator[None]:
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:  # shown as the test's teardown output
        for name in (*ha.cluster.nodes, *ha.names):
            print(f"--- {name} ({ha.log_path(name)})\n{ha.log_tail(name, 25)}")


@pytest.fixture(scope="module")
def sink() -> Iterator[WebhookSink]:
    with WebhookSink() as s:
        yield s


def on(tenant: Tenant, ha: ReplicatedStack, replica: int) -> Tenant:
    """The same tenant, talking to replica ``replica`` of every service."""
    return replace(tenant, urls=ha.urls(replica))


def monday(week: int) -> date:
    return FIRST_MONDAY + timedelta(weeks=week)


@dataclass
class SseReader:
    """Reads `GET /v1/stream` of one requests replica in a thread; keeps every event."""

    url: str
    token: str
    events: list[dict[str, Any]] = field(default_factory=list)
    opened: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=httpx.Timeout(10.0, read=None))
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        headers = {"authorization": f"Bearer {self.token}", "accept": "text/event-stream"}
        current: dict[str, str] = {}
        try:
            with self._client.stream("GET", f"{self.url}/v1/stream", headers=headers) as r:
                for line in r.iter_lines():
                    if line.startswith(":"):
                        self.opened.set()
                    elif line == "" and "data" in current:
                        event = {**current, "data": json.loads(current["data"])}
                        with self._lock:
                            self.events.append(event)
                        current = {}
                    elif ":" in line:
                        key, _, value = line.partition(":")
                        current[key] = value.removeprefix(" ")
        except httpx.HTTPError:
            pass  # closed by `close()` at the end of the test

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.events)

    def types_of(self, request_id: str) -> list[str]:
        return [
            e["event"] for e in self.snapshot() if e["data"]["data"].get("request_id") == request_id
        ]

    def close(self) -> None:
        self._client.close()


class Office:
    """A tenant on the HA stack: an approver Bo (Slack U_BO) and three employees
    (U_E0..U_E2) in one department, Slack connected to the sink, on replica-alternating
    calls."""

    def __init__(self, ha: ReplicatedStack, sink: WebhookSink) -> None:
        self.ha, self.sink = ha, sink
        self.hook = f"/hook-{uuid4().hex[:8]}"  # this tenant's messages only
        self.team_id = f"T{uuid4().hex[:8].upper()}"
        admin = sign_up(ha.urls(0))
        self.admin = [on(admin, ha, i) for i in REPLICAS]
        self.location = self.admin[0].location("Porto", timezone="Europe/Lisbon")
        self.vacation = self.admin[1].leave_type("Vacation", location_ids=[self.location])
        wait_offered(ha.url("requests", 0), admin.headers, self.vacation, [self.location])
        self.bo, self.bo_token = self.admin[0].employee(
            "Bo Berg", role="approver", location_id=self.location, slack_user_id="U_BO"
        )
        with self.admin[1].client("requests") as http:
            r = http.post("/v1/departments", json={"name": "Ops", "approver_ids": [self.bo]})
            assert r.status_code == 201, r.text
            department = r.json()["id"]
        self.people: list[tuple[str, str, str]] = []  # (employee id, token, slack id)
        for n in range(3):
            slack_id = f"U_E{n}"
            employee_id, token = self.admin[n % 2].employee(
                f"Emp {n}", location_id=self.location, department_id=department,
                slack_user_id=slack_id,
            )  # fmt: skip
            self.people.append((employee_id, token, slack_id))

    def connect_slack(self, replica: int, **extra: str) -> None:
        body = {
            "team_id": self.team_id,
            "webhook_url": f"http://127.0.0.1:{self.sink.port}{self.hook}",
            "signing_secret": SIGNING,
            **extra,
        }
        with self.admin[replica].client("notifications") as http:
            r = http.put("/v1/integrations/slack", json=body)
        assert r.status_code == 200, r.text

    def wait_known(self, slack_id: str) -> None:
        """Until both notifications replicas know the person (the people events travel
        separately from the leave events, possibly to the other replica)."""
        form = {
            "team_id": self.team_id,
            "user_id": slack_id,
            "command": "/vacation",
            "text": "help",
            "response_url": f"http://127.0.0.1:{self.sink.port}/ignored",
        }
        for replica in REPLICAS:

            def known(url: str = self.ha.url("notifications", replica)) -> bool:
                body = urlencode(form)
                ts = str(int(time.time()))
                signature = SignatureVerifier(SIGNING).generate_signature(timestamp=ts, body=body)
                assert signature is not None
                headers = {
                    "content-type": "application/x-www-form-urlencoded",
                    "x-slack-request-timestamp": ts,
                    "x-slack-signature": signature,
                }
                r = httpx.post(f"{url}/slack/commands", content=body, headers=headers, timeout=10)
                return r.status_code == 200 and "don't know" not in r.json()["text"]

            eventually(known, timeout=30, what=f"{slack_id} known to notifications-{replica}")

    def posted(self, contains: str = "") -> list[str]:
        return [
            c.body.decode()
            for c in self.sink.snapshot()
            if c.path == self.hook and contains in c.body.decode()
        ]

    def request(self, request_id: str, replica: int) -> dict[str, Any]:
        with self.admin[replica].client("requests") as http:
            r = http.get(f"/v1/leave-requests/{request_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def balance(self, employee_id: str, replica: int) -> dict[str, Any]:
        with self.admin[replica].client("balances") as http:
            r = http.get(f"/v1/balances/{employee_id}", params={"as_of": monday(0).isoformat()})
        assert r.status_code == 200, r.text
        (only,) = r.json()["balances"]
        return dict(only)

    def deliveries(self, replica: int) -> list[dict[str, Any]]:
        with self.admin[replica].client("notifications") as http:
            r = http.get("/v1/deliveries", params={"limit": "200"})
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    def whos_off(self, replica: int) -> list[dict[str, Any]]:
        with self.admin[replica].client("calendar") as http:
            r = http.get(
                "/v1/whos-off",
                params={"from": monday(0).isoformat(), "to": monday(8).isoformat()},
            )
        assert r.status_code == 200, r.text
        return list(r.json()["items"])


def leave_uids(body: bytes) -> set[str]:
    return {
        str(e["UID"])
        for e in Calendar.from_ical(body).walk("VEVENT")
        if str(e["UID"]).startswith("leave-")
    }


def test_each_event_takes_effect_once_and_both_requests_replicas_stream_it_all(
    ha: ReplicatedStack, sink: WebhookSink
) -> None:
    office = Office(ha, sink)
    office.connect_slack(1)
    for slack_id in ("U_BO", *(p[2] for p in office.people)):
        office.wait_known(slack_id)
    streams = [SseReader(ha.url("requests", i), office.admin[0].token) for i in REPLICAS]
    try:
        for stream in streams:
            assert stream.opened.wait(10), "stream did not open"

        # Each employee asks twice (Mon-Tue of two weeks), alternating requests replicas.
        submitted: dict[str, list[str]] = {p[0]: [] for p in office.people}
        calls = 0
        for week in (0, 2):
            for employee_id, token, _ in office.people:
                start = monday(week)
                r = httpx.post(
                    f"{ha.url('requests', calls % 2)}/v1/leave-requests",
                    json={
                        "leave_type_id": office.vacation,
                        "start_date": start.isoformat(),
                        "end_date": (start + timedelta(days=1)).isoformat(),
                    },
                    headers={"authorization": f"Bearer {token}"},
                    timeout=10,
                )
                calls += 1
                assert r.status_code == 202, r.text
                submitted[employee_id].append(r.json()["id"])
        all_requests = [rid for ids in submitted.values() for rid in ids]

        def pending(request_id: str, replica: int) -> bool:
            return bool(office.request(request_id, replica)["status"] == "pending")

        for n, request_id in enumerate(all_requests):
            eventually(
                partial(pending, request_id, n % 2),
                timeout=30,
                what=f"{request_id} pending",
            )

        # Reserved once: pending is exactly the two requests' four days, on both replicas.
        for employee_id in submitted:
            for replica in REPLICAS:
                got = office.balance(employee_id, replica)
                assert Decimal(str(got["pending"])) == Decimal(4), got
                assert Decimal(str(got["used"])) == Decimal(0), got

        # Bo approves each first request, alternating replicas.
        approved = [ids[0] for ids in submitted.values()]
        for n, request_id in enumerate(approved):
            r = httpx.post(
                f"{ha.url('requests', n % 2)}/v1/leave-requests/{request_id}/approve",
                json={},
                headers={"authorization": f"Bearer {office.bo_token}"},
                timeout=10,
            )
            assert r.status_code == 200, r.text

        def used_two(employee_id: str, replica: int) -> bool:
            return bool(office.balance(employee_id, replica)["used"] == 2)

        for employee_id in submitted:
            for replica in REPLICAS:
                eventually(
                    partial(used_two, employee_id, replica),
                    timeout=30,
                    what=f"{employee_id} used 2 on balances-{replica}",
                )
                got = office.balance(employee_id, replica)
                assert (Decimal(str(got["used"])), Decimal(str(got["pending"]))) == (
                    Decimal(2),
                    Decimal(2),
                ), got

        # One calendar row per approved request, whichever replica answers.
        def three_rows(replica: int) -> list[dict[str, Any]] | None:
            rows = office.whos_off(replica)
            return rows if len(rows) >= 3 else None

        for replica in REPLICAS:
            rows = eventually(
                partial(three_rows, replica),
                timeout=30,
                what=f"three rows on calendar-{replica}",
            )
            assert sorted(row["request_id"] for row in rows) == sorted(approved), rows

        # Every delivery settled (none pending or in flight), then count the messages.
        expected_deliveries = len(all_requests) + len(approved)  # Bo per request, each person

        def all_sent(replica: int) -> bool:
            d = office.deliveries(replica)
            return len(d) == expected_deliveries and all(x["status"] == "sent" for x in d)

        for replica in REPLICAS:
            eventually(
                partial(all_sent, replica),
                timeout=40,
                what=f"{expected_deliveries} deliveries sent (notifications-{replica})",
            )
        to_bo = office.posted("<@U_BO>")
        assert len(to_bo) == len(all_requests), to_bo
        for request_id in all_requests:
            assert sum(request_id in body for body in to_bo) == 1, request_id
        for _, _, slack_id in office.people:
            assert len(office.posted(f"<@{slack_id}>")) == 1, office.posted(f"<@{slack_id}>")
        assert len(office.posted()) == expected_deliveries

        # Both live streams saw every request's events, the same ones, once each.
        def streamed_everything(stream: SseReader) -> bool:
            return all(
                "LeavePending" in stream.types_of(rid)
                and ("LeaveApproved" in stream.types_of(rid)) == (rid in approved)
                for rid in all_requests
            )

        for stream in streams:
            eventually(partial(streamed_everything, stream), timeout=30, what="all streamed")
        ids = [[e["id"] for e in stream.snapshot()] for stream in streams]
        for seen in ids:
            assert len(seen) == len(set(seen)), "an event came twice on one stream"
        assert set(ids[0]) == set(ids[1])
    finally:
        for stream in streams:
            stream.close()


def test_an_ical_feed_is_fresh_on_either_calendar_replica(
    ha: ReplicatedStack, sink: WebhookSink
) -> None:
    office = Office(ha, sink)
    with office.admin[0].client("calendar") as http:
        r = http.post("/v1/feeds", json={"scope": "tenant"})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    feed = [f"{ha.url('calendar', i)}/ical/{token}.ics" for i in REPLICAS]

    def uids(replica: int) -> set[str]:
        response = httpx.get(feed[replica], timeout=10)
        assert response.status_code == 200, response.text
        return leave_uids(response.content)

    # Both replicas render (and cache) the empty feed first.
    assert uids(0) == uids(1) == set()

    _, token_e, _ = office.people[0]
    r = httpx.post(
        f"{ha.url('requests', 1)}/v1/leave-requests",
        json={"leave_type_id": office.vacation, "start_date": monday(4).isoformat(),
              "end_date": monday(4).isoformat()},
        headers={"authorization": f"Bearer {token_e}"},
        timeout=10,
    )  # fmt: skip
    assert r.status_code == 202, r.text
    request_id = r.json()["id"]
    eventually(lambda: office.request(request_id, 0)["status"] == "pending", timeout=30)
    with office.admin[0].client("requests") as http:
        assert http.post(f"/v1/leave-requests/{request_id}/approve", json={}).status_code == 200
    uid = f"leave-{request_id}@leaveflow"

    def shows(replica: int, expected: set[str]) -> bool:
        return uids(replica) == expected

    for replica in REPLICAS:
        eventually(partial(shows, replica, {uid}), timeout=20, what=f"fresh on {replica}")

    with office.admin[1].client("requests") as http:
        r = http.post(f"/v1/leave-requests/{request_id}/cancel", json={})
        assert r.status_code in (200, 202), r.text
    for replica in REPLICAS:
        eventually(partial(shows, replica, set()), timeout=20, what=f"dropped on {replica}")


def test_the_digest_goes_once_a_day_across_replicas(ha: ReplicatedStack, sink: WebhookSink) -> None:
    office = Office(ha, sink)
    # Due at once (00:00 has passed in the tenant's zone); both replicas check every 0.3 s.
    office.connect_slack(0, digest_time="00:00")
    (first,) = eventually(
        lambda: office.posted("Who is off on"), timeout=30, what="the digest posted"
    )
    assert f"Who is off on {datetime.now(UTC).date()}" in first, first  # the tenant is on UTC
    # Absence can only be shown over a window: many checks by each replica, nothing more.
    deadline = time.monotonic() + 12 * DIGEST_EVERY
    while time.monotonic() < deadline:
        assert len(office.posted("Who is off on")) == 1, office.posted("Who is off on")
        time.sleep(DIGEST_EVERY / 2)


def test_the_year_end_runs_once_per_location_when_both_replicas_are_asked(
    ha: ReplicatedStack, sink: WebhookSink
) -> None:
    office = Office(ha, sink)
    closed = date.today().year - 1
    with office.admin[0].client("balances") as http:
        r = http.put(
            f"/v1/policies/{office.location}/{office.vacation}",
            json={"annual_allowance": "25", "accrual": "upfront", "carryover_max": 5},
        )
        assert r.status_code == 200, r.text

    def close(replica: int) -> httpx.Response:
        with office.admin[replica].client("balances") as http:
            return http.post("/v1/year-end", json={"year": closed})

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(close, [0, 1, 0, 1]))
    assert [a.status_code for a in answers] == [202] * 4, [a.text for a in answers]

    def jobs(replica: int) -> list[dict[str, Any]]:
        with office.admin[replica].client("balances") as http:
            return list(http.get(f"/v1/year-end/{closed}").json()["jobs"])

    def done(replica: int) -> bool:
        return [j["state"] for j in jobs(replica)] == ["done"]

    for replica in REPLICAS:
        eventually(partial(done, replica), timeout=30, what="done")
    # Bo and the three employees were employed all year: each carries 5 days, once.
    people = [office.bo, *(p[0] for p in office.people)]
    (job,) = jobs(1)
    assert job["carried"] == len(people), job
    for n, employee_id in enumerate(people):
        with office.admin[n % 2].client("balances") as http:
            r = http.get(f"/v1/ledger/{employee_id}", params={"to": f"{closed + 1}-12-31"})
        assert r.status_code == 200, r.text
        carried = [e for e in r.json()["items"] if e["kind"] == "carryover"]
        assert [(e["amount"], e["effective_date"]) for e in carried] == [
            (5, f"{closed + 1}-01-01")
        ], carried


def test_every_stream_is_kept_on_all_three_nats_nodes(ha: ReplicatedStack) -> None:
    # The event streams, the dead letters, and the consumers' lease bucket.
    expected = [*all_streams(), f"KV_{LEASE_BUCKET}"]

    async def replicas() -> dict[str, tuple[int | None, int]]:
        nc = await nats.connect(ha.cluster.urls, connect_timeout=5, max_reconnect_attempts=2)
        try:
            js = nc.jetstream()
            found = {}
            for name in expected:
                info = await js.stream_info(name)
                followers = len(info.cluster.replicas or []) if info.cluster else 0
                found[name] = (info.config.num_replicas, followers + 1)
            return found
        finally:
            await nc.close()

    found = asyncio.run(replicas())
    assert set(found) == set(expected)
    assert all(kept == (3, 3) for kept in found.values()), found


CSRF = re.compile(r'(?:name="csrf_token" value="|"x-csrf-token": ")([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, f"no CSRF token on {page.url}"
    return found.group(1)


def test_a_web_session_from_one_replica_works_on_the_other(ha: ReplicatedStack) -> None:
    tenant = sign_up(ha.urls(0))
    with httpx.Client(base_url=ha.url("web", 0), timeout=10.0) as web_a:
        form = {
            "tenant_id": tenant.tenant_id,
            "email": tenant.admin_email,
            "csrf_token": csrf_of(web_a.get("/signin")),
        }
        answer = web_a.post("/signin/dev", data=form)
        assert answer.status_code == 303, answer.text
        cookies = web_a.cookies
    with httpx.Client(base_url=ha.url("web", 1), cookies=cookies, timeout=10.0) as web_b:
        home = web_b.get("/")
        assert home.status_code == 200, (home.status_code, home.headers.get("location"))
        assert tenant.admin_email in home.text  # the header says who is signed in
        # Its form token came from replica a's session: replica b accepts it.
        assert web_b.post("/signout", data={"csrf_token": csrf_of(home)}).status_code == 303
        assert web_b.get("/").status_code == 303  # signed out, on either replica

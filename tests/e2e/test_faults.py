"""Faults under load: kill -9 each process of the stack mid-burst, stop NATS mid-burst, and
count what was lost or doubled once everything has recovered.

One private stack lives through a sequence of faults (a stack per fault would cost a
minute each). Each phase sends a burst of leave requests across six employees, some
concurrently, and kills one process (SIGKILL: no shutdown, no final ack) while the burst is
going; the burst goes on against the dead process, then the process is started again and
what failed is retried. The next fault follows at once, while the stack may still be
repairing the last one. After the last phase the test waits until every request has
reached everything it should, and counts, per phase and per effect:

- requests: each accepted submit is one request, and it reached ``pending``;
- balances: one reservation per request in the ledger, and the employee's ``pending`` is
  exactly the sum of their requests;
- calendar: each request once in who's off (``include_pending``);
- notifications: each approver got exactly one Slack message per request through the
  webhook sink. The one message in flight when notifications was killed may arrive twice
  (the peer got it, we never heard back), and its second copy must arrive within 10 s of
  the restart.

A submit that fails while requests (or the web) is down must be a connection error or a
503; it is retried after the restart (a 409 on the retry means the first try had been
committed: looked up, never a second request). The table of faults with lost and doubled
counts is printed and written to ``test-artifacts/faults/table.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from aiohttp import web

from leaveflow_contracts import stream_for
from leaveflow_devstack import Stack
from leaveflow_devstack.replicas import ReplicatedStack
from leaveflow_devstack.testing import Tenant, eventually, sign_up
from leaveflow_kit.testing import WebhookSink

# Bursts timed against kills and outages: alone on the machine (make test runs `serial`
# tests after the parallel phase).
pytestmark = [pytest.mark.e2e, pytest.mark.serial, pytest.mark.timeout(300)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "faults"
EMPLOYEES = 6
PER_FAULT = 12  # submits per phase; 7 phases -> 84 requests, 14 or 15 days per employee
CONCURRENCY = 6
SPACING = 0.1  # seconds between burst starts: the burst outlives the kill
RESEND_WITHIN = 10.0  # seconds after the restart for the message in flight at the kill
HANG = 6.0  # the sink holds the first message of the notifications phase this long
APPROVERS = {"U_BO": "Bo", "U_CY": "Cy"}

# A leave year ahead, so every day is in the future and in one leave year.
FIRST_MONDAY = date(date.today().year + 1, 2, 1)
while FIRST_MONDAY.isoweekday() != 1:
    FIRST_MONDAY += timedelta(days=1)
CSRF = re.compile(r'(?:name="csrf_token" value="|"x-csrf-token": ")([^"]+)"')
CONNECTION_ERRORS = (httpx.TransportError,)  # refused, reset, closed mid-answer


def weekday(n: int) -> date:
    return FIRST_MONDAY + timedelta(days=(n // 5) * 7 + n % 5)


class ArrivalSink(WebhookSink):
    """The webhook sink, also recording when each call *arrived* (the peer has the message
    even if the sender dies before the answer), and able to hold the next call a while."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.arrivals: list[tuple[float, bytes]] = []
        self.hang_next = 0.0
        self.held = threading.Event()
        # The call held: sends run concurrently, so the last arrival may be another one.
        self.held_body = b""

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()  # cached: the base handler reads the same bytes
        with self._lock:
            self.arrivals.append((time.monotonic(), body))
            hang, self.hang_next = self.hang_next, 0.0
        if hang:
            self.held_body = body
            self.held.set()
            await asyncio.sleep(hang)
        return await super()._handle(request)

    def arrived(self) -> list[tuple[float, bytes]]:
        with self._lock:
            return list(self.arrivals)


class Outage:
    """A loopback TCP proxy in front of a server. ``go_down()`` resets every connection
    through it and refuses new ones, ``come_back()`` accepts again on the same port: to its
    clients, the server went away and came back, as a restarted MongoDB does, while the
    server behind keeps its data, as a MongoDB with durable storage does (the mongoeco
    stand-in keeps its data in memory: killing it would lose everything)."""

    def __init__(self, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.host, self.upstream_port = host, upstream_port
        with socket.socket() as probe:
            probe.bind((host, 0))
            self.port: int = probe.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.transport.abort()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer, up_writer}
        self._open |= pair
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._open -= pair

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self.host, self.port, reuse_address=True
        )

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()  # RST: the client sees the connection reset

    def start(self) -> Outage:
        self._thread.start()
        self.come_back()
        return self

    def go_down(self) -> None:
        asyncio.run_coroutine_threadsafe(self._cut(), self._loop).result(10)

    def come_back(self) -> None:
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)

    async def _close(self) -> None:
        """Cut, then end every connection's task: a loop stopped with them pending makes
        the interpreter report each one destroyed while still pending."""
        await self._cut()
        tasks = asyncio.all_tasks() - {asyncio.current_task()}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@dataclass
class Item:
    """One leave request to submit: who, which day, and what became of it."""

    employee: int
    day: date
    via: str
    request_id: str | None = None
    first_answer: str = ""
    retried: bool = False
    sent_at: float = 0.0
    answered_at: float = 0.0


@dataclass(frozen=True)
class Fault:
    """What one phase does to the stack mid-burst, and how it comes back."""

    name: str  # its row in the table
    kill: Callable[[], None]
    # None: nothing is restarted (the stack must carry on by itself).
    restart: Callable[[], None] | None = None
    # Submits may fail (connection error or 503) only while their entry point is down.
    submits_may_fail: bool = False
    via: str = "api"  # or "web": the burst goes through the dashboard's form
    # Hold a Slack message at the peer and kill while it is in flight (notifications).
    hold_message: bool = False
    # Restart after this many seconds while the burst goes on (a short outage), instead of
    # once the burst is over.
    down_for: float | None = None


NO_FAULT = Fault("none (control)", kill=lambda: None)


@dataclass
class Phase:
    fault: Fault
    items: list[Item] = field(default_factory=list)
    failed: Counter[str] = field(default_factory=Counter)
    retry_found_committed: int = 0
    down_seconds: float = 0.0
    restart_seconds: float = 0.0
    in_flight: tuple[str, str] | None = None  # (request id, Slack user) of the held message
    resend_after_restart: float | None = None
    killed_at: float | None = None
    seconds: float = 0.0  # the whole phase: burst, fault, restart, retries
    lost: Counter[str] = field(default_factory=Counter)
    doubled: Counter[str] = field(default_factory=Counter)

    @property
    def in_flight_at_fault(self) -> int:
        """Submits sent before the fault struck and answered after it."""
        at = self.killed_at
        return 0 if at is None else sum(i.sent_at < at < i.answered_at for i in self.items)


class Company:
    """A tenant: six employees in one department approved by Bo and Cy (both on Slack)."""

    def __init__(self, urls: Mapping[str, str], sink: ArrivalSink) -> None:
        self.urls = dict(urls)
        self.tenant: Tenant = sign_up(self.urls)
        location = self.tenant.location()
        self.leave_type = self.tenant.leave_type("Vacation", allowance=25, location_ids=[location])
        approvers = [
            self.tenant.employee(name, role="approver", location_id=location, slack_user_id=uid)[0]
            for uid, name in APPROVERS.items()
        ]
        self.slack_of = dict(zip(approvers, APPROVERS, strict=True))
        with self.tenant.client("requests") as http:
            r = http.post("/v1/departments", json={"name": "Ops", "approver_ids": approvers})
            assert r.status_code == 201, r.text
            department = r.json()["id"]
        self.people: list[tuple[str, str, str]] = []  # (id, email, token)
        for n in range(EMPLOYEES):
            email = f"e{n}-{self.tenant.tenant_id[-6:]}@e2e.test"
            employee_id, token = self.tenant.employee(
                f"Worker {n}", email, location_id=location, department_id=department
            )
            self.people.append((employee_id, email, token))
        with self.tenant.client("notifications") as http:
            r = http.put(
                "/v1/integrations/slack",
                json={"team_id": "T_FAULTS", "webhook_url": sink.url, "signing_secret": "s"},
            )
            assert r.status_code == 200, r.text
        self.web_sessions = [self._web_session(email) for _, email, _ in self.people]
        self._next_day = [0] * EMPLOYEES

    def _web_session(self, email: str) -> tuple[dict[str, str], str]:
        """The cookies and CSRF token of a signed-in dashboard session."""
        with httpx.Client(base_url=self.urls["web"], timeout=10) as client:
            page = client.get("/signin")
            token = CSRF.search(page.text)
            assert token, page.text
            r = client.post(
                "/signin/dev",
                data={
                    "csrf_token": token.group(1),
                    "tenant_id": self.tenant.tenant_id,
                    "email": email,
                },
            )
            assert r.status_code == 303, r.text
            home = client.get("/")
            csrf = CSRF.search(home.text)
            assert home.status_code == 200, home.text
            assert csrf, home.text
            return dict(client.cookies), csrf.group(1)

    def allocate(self, count: int, start: int, via: str) -> list[Item]:
        items = []
        for k in range(count):
            n = (start + k) % EMPLOYEES
            items.append(Item(n, weekday(self._next_day[n]), via))
            self._next_day[n] += 1
        return items

    # -- submitting ----------------------------------------------------------------
    def submit(self, item: Item) -> str:
        """Submit once; the answer: "ok", "exists" (409 overlap), or what went wrong."""
        try:
            if item.via == "web":
                return self._submit_web(item)
            return self._submit_api(item)
        except CONNECTION_ERRORS as exc:
            return f"connection: {type(exc).__name__}"

    def _submit_api(self, item: Item) -> str:
        _, _, token = self.people[item.employee]
        r = httpx.post(
            f"{self.urls['requests']}/v1/leave-requests",
            json={
                "leave_type_id": self.leave_type,
                "start_date": item.day.isoformat(),
                "end_date": item.day.isoformat(),
            },
            headers={"authorization": f"Bearer {token}"},
            timeout=15,
        )
        if r.status_code == 202:
            item.request_id = str(r.json()["id"])
            return "ok"
        if r.status_code == 409:
            return "exists"
        if r.status_code == 503:
            assert r.headers["content-type"].startswith("application/problem+json"), r.text
            return "503"
        return f"HTTP {r.status_code}: {r.text[:200]}"

    def _submit_web(self, item: Item) -> str:
        cookies, csrf = self.web_sessions[item.employee]
        with httpx.Client(base_url=self.urls["web"], cookies=cookies, timeout=15) as web_:
            r = web_.post(
                "/requests",
                data={
                    "csrf_token": csrf,
                    "leave_type_id": self.leave_type,
                    "start_date": item.day.isoformat(),
                    "end_date": item.day.isoformat(),
                },
            )
        if r.status_code == 200 and "Requested:" in r.text:
            return "ok"  # the page does not name the id: found through the API below
        if r.status_code == 503:
            return "503"
        return f"HTTP {r.status_code}: {r.text[:300]}"

    def burst(self, items: list[Item], answered: Callable[[int], None]) -> list[str]:
        """Submit every item, CONCURRENCY at a time, starts spaced by SPACING."""
        started = time.monotonic()

        def one(k: int) -> str:
            time.sleep(max(0.0, started + k * SPACING - time.monotonic()))
            items[k].sent_at = time.monotonic()
            result = self.submit(items[k])
            items[k].answered_at = time.monotonic()
            answered(k)
            return result

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            return list(pool.map(one, range(len(items))))

    # -- reading -------------------------------------------------------------------
    def requests_of(self, employee: int) -> list[dict[str, Any]]:
        employee_id = self.people[employee][0]
        with self.tenant.client("requests") as http:
            r = http.get("/v1/leave-requests", params={"employee_id": employee_id, "limit": 1000})
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    def find(self, item: Item) -> list[dict[str, Any]]:
        day = item.day.isoformat()
        return [
            r
            for r in self.requests_of(item.employee)
            if r["start_date"] == day and r["status"] not in ("cancelled", "rejected", "denied")
        ]

    def status(self, request_id: str) -> str:
        with self.tenant.client("requests") as http:
            return str(http.get(f"/v1/leave-requests/{request_id}").json()["status"])

    def balance_pending(self, employee: int) -> Decimal:
        with self.tenant.client("balances") as http:
            r = http.get(
                f"/v1/balances/{self.people[employee][0]}",
                params={"as_of": FIRST_MONDAY.isoformat()},
            )
        assert r.status_code == 200, r.text
        (vacation,) = [b for b in r.json()["balances"] if b["leave_type_id"] == self.leave_type]
        return Decimal(str(vacation["pending"]))

    def reservations(self, employee: int) -> Counter[str]:
        with self.tenant.client("balances") as http:
            r = http.get(f"/v1/ledger/{self.people[employee][0]}", params={"limit": 1000})
        assert r.status_code == 200, r.text
        return Counter(e["request_id"] for e in r.json()["items"] if e["kind"] == "reservation")

    def calendar(self) -> Counter[str]:
        with self.tenant.client("calendar") as http:
            r = http.get(
                "/v1/whos-off",
                params={
                    "from": FIRST_MONDAY.isoformat(),
                    "to": (FIRST_MONDAY + timedelta(days=120)).isoformat(),
                    "include_pending": "true",
                },
            )
        assert r.status_code == 200, r.text
        return Counter(i["request_id"] for i in r.json()["items"])

    def messages(self, sink: ArrivalSink) -> Counter[tuple[str, str]]:
        """Slack messages that reached the peer, per (request id, approver's Slack id)."""
        counted: Counter[tuple[str, str]] = Counter()
        ids = re.compile(rb'"value": ?"([^"]+)"')
        for _, body in sink.arrived():
            mentioned = [uid for uid in APPROVERS if f"<@{uid}>".encode() in body]
            for request_id in set(ids.findall(body)):
                for uid in mentioned:
                    counted[(request_id.decode(), uid)] += 1
        return counted


@pytest.fixture
def sink() -> Iterator[ArrivalSink]:
    s = ArrivalSink()  # entered as itself: WebhookSink's __enter__ is typed as the base
    with s:
        yield s


def _settled(company: Company, item: Item) -> str | None:
    """Submit once more: the answer when the request now exists, else None (not yet)."""
    answer = company.submit(item)
    return answer if answer in ("ok", "exists") else None


def _settle_ids(company: Company, phase: Phase) -> None:
    """Retry what failed (the process is back), then learn every request's id."""
    for item in phase.items:
        if item.first_answer == "ok" and item.request_id is not None:
            continue
        if item.first_answer != "ok":
            item.retried = True
            existing = company.find(item)
            if existing:
                phase.retry_found_committed += 1
            else:
                answer = eventually(
                    partial(_settled, company, item),
                    timeout=30,
                    what=f"retry of {item}",
                )
                if answer == "exists":
                    phase.retry_found_committed += 1
        if item.request_id is None:
            # More than one would be a double: the counts below report it.
            found = eventually(partial(company.find, item), what=f"{item} listed")
            item.request_id = str(found[0]["id"])


def _await_recovery(company: Company, sink: ArrivalSink, items: list[Item]) -> dict[str, float]:
    """Until every request is pending, in the calendar and told to both approvers; how
    long each took (seconds since the call). Only at the end: the faults follow each other
    without waiting for the last to heal (a consumer killed mid-batch gets its
    unacknowledged events back after the ack wait), so later faults strike while earlier
    ones are still being repaired."""
    began = time.monotonic()
    took: dict[str, float] = {}
    ids = {i.request_id for i in items if i.request_id}
    employees = {i.employee for i in items}

    def not_pending() -> set[str]:
        statuses = {
            r["id"]: r["status"]
            for n in employees
            for r in company.requests_of(n)
            if r["id"] in ids
        }
        return {rid for rid in ids if statuses.get(rid) != "pending"}

    eventually(lambda: not not_pending(), timeout=90, interval=0.25, what="all pending")
    took["pending"] = time.monotonic() - began
    eventually(
        lambda: all(company.calendar()[rid] for rid in ids),
        timeout=60,
        interval=0.25,
        what="all in the calendar",
    )
    took["in the calendar"] = time.monotonic() - began
    eventually(
        lambda: all(company.messages(sink)[(rid, uid)] for rid in ids for uid in APPROVERS),
        timeout=60,
        interval=0.25,
        what="approvers told of every request",
    )
    took["told"] = time.monotonic() - began
    return took


def _until_one_is_in_flight(items: list[Item], within: float = 2.0) -> None:
    """Strike while a submit is on its way (sent, not answered) if one comes along soon:
    the kill then lands inside a request, not between two."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if any(i.sent_at and not i.answered_at for i in items):
            return
        time.sleep(0.001)


def _run_phase(company: Company, sink: ArrivalSink, phase: Phase) -> None:
    fault = phase.fault
    done = threading.Event()
    answered: list[int] = []
    lock = threading.Lock()

    def on_answer(k: int) -> None:
        with lock:
            answered.append(k)
            if len(answered) >= PER_FAULT // 3:
                done.set()

    if fault.hold_message:
        sink.held.clear()
        sink.hang_next = HANG
    results: list[str] = []
    runner = threading.Thread(
        target=lambda: results.extend(company.burst(phase.items, on_answer)), daemon=True
    )
    runner.start()
    if fault is not NO_FAULT:
        assert done.wait(30), "the burst did not get going"
        if fault.hold_message:
            assert sink.held.wait(60), "no Slack message was sent during the burst"
            held = sink.held_body
            (request_id,) = set(re.findall(rb'"value": ?"([^"]+)"', held))
            # One channel post per event, mentioning every approver: any of them stands
            # for it (`_count` allows the resend for the whole post).
            uid = next(u for u in APPROVERS if f"<@{u}>".encode() in held)
            phase.in_flight = (request_id.decode(), uid)
        _until_one_is_in_flight(phase.items)
        killed_at = phase.killed_at = time.monotonic()
        fault.kill()
        if fault.down_for is not None:
            time.sleep(fault.down_for)  # the outage itself: the burst goes on meanwhile
        else:
            runner.join(60)
            assert not runner.is_alive(), "the burst hung"
        phase.down_seconds = time.monotonic() - killed_at
        if fault.restart is not None:
            started = time.monotonic()
            fault.restart()
            restarted_at = time.monotonic()
            phase.restart_seconds = restarted_at - started
            if phase.in_flight is not None:
                key = phase.in_flight
                eventually(
                    lambda: company.messages(sink)[key] >= 2,
                    timeout=RESEND_WITHIN,
                    interval=0.1,
                    what=f"the message in flight at the kill ({key}) sent again after the restart",
                )
                phase.resend_after_restart = time.monotonic() - restarted_at
    runner.join(60)
    assert len(results) == len(phase.items)
    for item, answer in zip(phase.items, results, strict=True):
        item.first_answer = answer
        if answer != "ok":
            phase.failed[answer.split(":")[0]] += 1
    _settle_ids(company, phase)


def _count(company: Company, sink: ArrivalSink, phases: list[Phase]) -> None:
    """Lost and doubled effects per phase, from the final state of every service."""
    # The post in flight at a kill may arrive twice: for every approver it mentions.
    in_flight = {p.in_flight[0] for p in phases if p.in_flight}
    calendar = company.calendar()
    messages = company.messages(sink)
    reservations: Counter[str] = Counter()
    for n in range(EMPLOYEES):
        reservations.update(company.reservations(n))
    for phase in phases:
        for item in phase.items:
            assert item.request_id is not None
            listed = company.find(item)
            rid = item.request_id
            _tally(phase, "requests", len(listed))
            if len(listed) == 1 and company.status(rid) != "pending":
                phase.lost["requests"] += 1  # accepted but never reached pending
            _tally(phase, "balances", reservations[rid])
            _tally(phase, "calendar", calendar[rid])
            for uid in APPROVERS:
                sent = messages[(rid, uid)]
                if rid in in_flight and sent == 2:
                    sent = 1  # the allowed second copy of the one in flight at the kill
                _tally(phase, "notifications", sent)


def _tally(phase: Phase, effect: str, seen: int) -> None:
    if seen == 0:
        phase.lost[effect] += 1
    elif seen > 1:
        phase.doubled[effect] += seen - 1


EFFECTS = ("requests", "balances", "calendar", "notifications")


def _table(phases: list[Phase], pending_ok: bool) -> str:
    lines = [
        "| fault | submits | in flight at the fault | failed at first try (retried)"
        " | committed before the answer was lost | down s | restart s"
        " | lost (req/bal/cal/notif) | doubled (req/bal/cal/notif)"
        " | in-flight message resent after restart | phase s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in phases:
        failed = ", ".join(f"{n} {kind}" for kind, n in sorted(p.failed.items())) or "0"
        lost = "/".join(str(p.lost[e]) for e in EFFECTS)
        doubled = "/".join(str(p.doubled[e]) for e in EFFECTS)
        resend = (
            f"{p.resend_after_restart:.1f} s (allowed twice: 1)"
            if p.resend_after_restart is not None
            else "-"
        )
        restart = f"{p.restart_seconds:.1f}" if p.fault.restart else "-"
        lines.append(
            f"| {p.fault.name} | {len(p.items)} | {p.in_flight_at_fault} | {failed}"
            f" | {p.retry_found_committed}"
            f" | {p.down_seconds:.1f} | {restart} | {lost} | {doubled} | {resend}"
            f" | {p.seconds:.1f} |"
        )
    lines.append("")
    lines.append(
        "balances pending per employee equals the sum of their requests: "
        + ("yes" if pending_ok else "NO")
    )
    return "\n".join(lines)


FAULT_ENV = {
    # A dashboard session must outlive a web restart, as it would in production.
    "WEB_SESSION_SECRET": "faults-e2e-session-secret",
    # What a killed consumer had fetched comes back after the ack wait (30 s by default):
    # 5 s keeps the test short, and redelivers sooner what a slow handler still holds.
    "LEAVEFLOW_ACK_WAIT": "5",
}


def run_faults(
    name: str,
    urls: Mapping[str, str],
    sink: ArrivalSink,
    faults: Callable[[Company], list[Fault]],
    capsys: pytest.CaptureFixture[str],
    *,
    setup_began: float,
) -> list[Phase]:
    """A control phase then each fault, one recovery wait, the counts, the table, and the
    assertions: nothing lost, nothing doubled, submits failed only as they may."""
    company = Company(urls, sink)
    # Warm-up: notifications knows the department's approvers before the bursts begin.
    (warm,) = company.allocate(1, 0, "api")
    assert company.submit(warm) == "ok"
    rid = warm.request_id
    assert rid is not None
    eventually(
        lambda: all(company.messages(sink)[(rid, u)] for u in APPROVERS),
        timeout=30,
        what="warm-up message to both approvers",
    )
    setup_seconds = time.monotonic() - setup_began

    phases: list[Phase] = []
    for k, fault in enumerate([NO_FAULT, *faults(company)]):
        phase = Phase(fault, company.allocate(PER_FAULT, k, fault.via))
        phases.append(phase)
        began = time.monotonic()
        _run_phase(company, sink, phase)
        phase.seconds = time.monotonic() - began

    every = [i for p in phases for i in p.items]
    recovery = _await_recovery(company, sink, every)
    time.sleep(1.5)  # a late duplicate (redelivery, resend) would have arrived by now
    _count(company, sink, phases)
    expected = Counter(i.employee for p in phases for i in p.items)
    expected[warm.employee] += 1
    pending_ok = all(company.balance_pending(n) == Decimal(expected[n]) for n in range(EMPLOYEES))
    table = _table(phases, pending_ok)
    table += f"\nsetup (stack start, tenant, warm-up): {setup_seconds:.1f} s"
    table += "\nrecovery after the last phase, seconds until all were: "
    table += ", ".join(f"{what} {seconds:.1f}" for what, seconds in recovery.items())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.md").write_text(table + "\n")
    with capsys.disabled():
        print(f"\n{name}:\n{table}")

    for phase in phases:
        label = phase.fault.name
        bad = {k: v for k, v in phase.failed.items() if k not in ("connection", "503")}
        assert not bad, f"{label}: submits failed otherwise than connection/503: {bad}"
        if not phase.fault.submits_may_fail:
            assert not phase.failed, f"{label}: submits failed though their entry point was up"
    assert [(p.fault.name, dict(p.lost), dict(p.doubled)) for p in phases] == [
        (p.fault.name, {}, {}) for p in phases
    ], table
    assert pending_ok, table
    for phase in phases:
        if phase.fault.hold_message:
            assert phase.in_flight is not None
            assert phase.resend_after_restart is not None
            assert phase.resend_after_restart <= RESEND_WITHIN, table
    return phases


def test_kill_each_process_and_stop_nats_mid_burst_loses_and_doubles_nothing(
    make_stack: Callable[..., Stack], sink: ArrivalSink, capsys: pytest.CaptureFixture[str]
) -> None:
    began = time.monotonic()
    stack = make_stack(env=FAULT_ENV)

    def kill(name: str, sig: int = signal.SIGKILL) -> Fault:
        return Fault(
            f"kill -9 {name}" if sig == signal.SIGKILL else f"stop {name}-server",
            kill=lambda: stack.kill(name, sig),
            restart=lambda: stack.start_service(name),
            submits_may_fail=name in ("requests", "web"),
            via="web" if name == "web" else "api",
            hold_message=name == "notifications",
        )

    # Consumers first: their recovery (up to one ack wait) overlaps the later phases.
    run_faults(
        "single-node",
        stack.urls,
        sink,
        lambda _: [
            kill("requests"),
            kill("balances"),
            kill("notifications"),
            kill("calendar"),
            kill("web"),
            kill("nats", signal.SIGTERM),  # a stop: the operator starts it again
        ],
        capsys,
        setup_began=began,
    )


MONGO_OUTAGE = 3.0  # seconds: about what a mongod restart takes


def test_mongodb_going_away_mid_burst_loses_and_doubles_nothing(
    make_stack: Callable[..., Stack],
    sink: ArrivalSink,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every service on MongoDB (a mongoeco stand-in of its own each, behind an `Outage`
    proxy); mid-burst every connection to MongoDB is reset and refused for two seconds.
    Clients reconnect; a submit in flight either succeeds or fails with 503 problem+json
    and is retried, never half-applied."""
    from leaveflow_devstack.mongo import STANDIN_LABEL, MongoStandin, find_python_313
    from leaveflow_devstack.ports import SERVICES

    python = find_python_313()
    if python is None:
        pytest.skip("no Python >= 3.13 for the mongoeco stand-in (leaveflow_devstack.mongo)")
    began = time.monotonic()
    with contextlib.ExitStack() as cleanup:
        env = {}
        proxies = []
        for name in SERVICES:
            standin = MongoStandin(tmp_path / f"mongo-{name}.log", python=python)
            standin.start()
            cleanup.callback(standin.stop)
            proxy = Outage(standin.port).start()
            cleanup.callback(proxy.stop)
            proxies.append(proxy)
            env[f"{name.upper()}_DATABASE_URL"] = (
                f"mongodb://127.0.0.1:{proxy.port}/leaveflow_{name}?directConnection=true"
            )
        # The databases are the proxied stand-ins above, whichever store the run is on.
        stack = make_stack(store="sqlite", env={**FAULT_ENV, **env})

        def go_down() -> None:
            for proxy in proxies:
                proxy.go_down()

        def come_back() -> None:
            for proxy in proxies:
                proxy.come_back()

        phases = run_faults(
            "mongodb",
            stack.urls,
            sink,
            lambda _: [
                Fault(
                    f"MongoDB away {MONGO_OUTAGE:.0f} s, connections reset ({STANDIN_LABEL})",
                    kill=go_down,
                    restart=come_back,
                    submits_may_fail=True,
                    down_for=MONGO_OUTAGE,
                )
            ],
            capsys,
            setup_began=began,
        )
    (outage,) = phases[1:]
    killed = outage.killed_at
    assert killed is not None
    during = [i for i in outage.items if killed < i.sent_at < killed + MONGO_OUTAGE]
    assert during, "no submit reached requests while MongoDB was away"


def _logs_on_failure(names: list[str], tail: Callable[[str, int], str]) -> str:
    return "\n".join(f"--- {name}:\n{tail(name, 25)}" for name in names)


def test_killing_a_nats_cluster_node_mid_burst_loses_and_doubles_nothing(
    tmp_path: Path, sink: ArrivalSink, capsys: pytest.CaptureFixture[str]
) -> None:
    """Streams at replicas 3 on three nodes: kill -9 the node leading the requests stream
    mid-burst and leave it down; the stack must carry on by itself (no restart of anything)."""
    began = time.monotonic()
    # One process per service keeps this test cheap; two replicas are the HA tests' subject.
    ha = ReplicatedStack(
        tmp_path / "ha", replicas=1, nats_nodes=3, env=FAULT_ENV, ready_timeout=120
    )
    victim: list[str] = []

    def leader() -> str:
        async def ask() -> str:
            nc = await nats.connect(ha.cluster.urls, connect_timeout=5, max_reconnect_attempts=2)
            try:
                info = await nc.jetstream().stream_info(stream_for("requests"))
                assert info.cluster is not None, info
                assert info.cluster.leader, info
                return str(info.cluster.leader)
            finally:
                await nc.close()

        return asyncio.run(ask())

    def kill_leader() -> None:
        victim.append(leader())
        ha.kill(victim[0])

    with ha:
        try:
            run_faults(
                "nats-cluster",
                ha.urls(0),
                sink,
                lambda _: [
                    Fault("kill -9 the NATS node leading the requests stream", kill=kill_leader)
                ],
                capsys,
                setup_began=began,
            )
        except BaseException:
            print(_logs_on_failure([*ha.cluster.nodes, *ha.names], ha.log_tail))
            raise
    (killed,) = victim
    assert killed in ha.cluster.nodes

"""Issue 13's visibility rule on the real stack, as one table: every read and write path x
role x a subject in or out of the caller's scope.

The rule (docs/security.md): an admin sees the tenant; an approver the people of the
departments whose `approver_ids` name them, plus themselves; a user themselves. Approved
leave in who's-off (and in calendar feeds) stays the whole tenant's, without reasons or
notes; submitting for someone else follows the rule too. Out of scope reads as absent
where docs/api.md says so (a request 404, a list filter finds nothing, working days 422
`employee_id`); balances and department feeds answer 403; decisions and cancellations of
another's request 403.

One private stack, one company, set up through the public APIs only:

- department X, approved by A (an approver in no department: A's own leave is "self");
  U (a user) and W (an employee) are in X;
- department Y, approved by B; V is in Y;
- the admin.

Each of U, W, V and A has, in one week (BASE), a pending request and an approved one, each
with a reason and (the approved one) a decision note nobody outside the scope may read.
Every write row acts on a request of its own (a pool made up front; a withdrawal's is made
while balances is paused, so it is still `submitted`), and every row that submits takes days
nobody else uses, so no row disturbs another.

A cell is the expected status and whether the subject's data shows (a read) or the write
took effect: `200+` seen or done, `200-` an answer without the subject, `404-`, `422-`,
`403-` refused and nothing changed, `202+` booked, `201+` a feed made.
"""

from __future__ import annotations

import json
import secrets
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, coming_monday, eventually, sign_up

pytestmark = pytest.mark.e2e

LEAVE = "/v1/leave-requests"
BASE = coming_monday(1)  # the week of the base requests (Monday to Friday in one month)
PENDING_DAY, APPROVED_DAY = BASE, BASE + timedelta(days=2)
WEEK = {"from": BASE.isoformat(), "to": (BASE + timedelta(days=4)).isoformat()}
SUBJECTS = ("U", "W", "V", "A")  # the people with leave; "admin" and "B" have none
DEPARTMENT = {"U": "X", "W": "X", "V": "Y", "A": None, "B": None, "admin": None}
STREAM_WAIT = 20.0  # for an event to reach an open stream (generous: 2 shared cores)


def reason_of(person: str) -> str:
    return f"private reason of {person}"


def note_for(person: str) -> str:
    return f"private note for {person}"


SECRETS = tuple(s for p in SUBJECTS for s in (reason_of(p), note_for(p)))


# -- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """What a row expects: the status, and whether the subject's data shows (a read) or the
    write took effect (a write)."""

    status: int
    effect: bool

    def __str__(self) -> str:
        return f"{self.status}{'+' if self.effect else '-'}"


SEEN = Cell(200, True)  # the subject's data is in the answer
HIDDEN = Cell(200, False)  # an answer without any of the subject's data
ABSENT = Cell(404, False)
UNKNOWN = Cell(422, False)  # working days: as for an unknown employee
REFUSED = Cell(403, False)  # and nothing changed
DONE = Cell(200, True)
BOOKED = Cell(202, True)  # a submission accepted
CREATED = Cell(201, True)
NA = None  # A is in no department: nothing to filter by

# (caller, subject) per column; the subject's relation to the caller is in the column's id.
COLUMNS = (
    ("admin", "V", "tenant"),
    ("A", "W", "in"),
    ("A", "V", "out"),
    ("A", "A", "self"),
    ("U", "U", "self"),
    ("U", "W", "other"),  # a colleague of the same department
    ("U", "V", "other"),
)
# fmt: off
TABLE: list[tuple[str, tuple[Cell | None, ...]]] = [
    # operation                 admin:V  A:W in   A:V out  A:self   U:self   U:W      U:V
    ("requests list",           (SEEN,    SEEN,    HIDDEN,  SEEN,    SEEN,    HIDDEN,  HIDDEN)),
    ("requests ?employee_id",   (SEEN,    SEEN,    HIDDEN,  SEEN,    SEEN,    HIDDEN,  HIDDEN)),
    ("requests ?department_id", (SEEN,    SEEN,    HIDDEN,  NA,      SEEN,    HIDDEN,  HIDDEN)),
    ("request by id",           (SEEN,    SEEN,    ABSENT,  SEEN,    SEEN,    ABSENT,  ABSENT)),
    ("working-days",            (SEEN,    SEEN,    UNKNOWN, SEEN,    SEEN,    UNKNOWN, UNKNOWN)),
    ("stream",                  (SEEN,    SEEN,    HIDDEN,  SEEN,    SEEN,    HIDDEN,  HIDDEN)),
    ("submit for",              (BOOKED,  BOOKED,  REFUSED, BOOKED,  BOOKED,  REFUSED, REFUSED)),
    ("approve",                 (DONE,    DONE,    REFUSED, REFUSED, REFUSED, REFUSED, REFUSED)),
    ("deny",                    (DONE,    DONE,    REFUSED, REFUSED, REFUSED, REFUSED, REFUSED)),
    ("cancel",                  (DONE,    REFUSED, REFUSED, DONE,    DONE,    REFUSED, REFUSED)),
    ("withdraw (submitted)",    (DONE,    REFUSED, REFUSED, DONE,    DONE,    REFUSED, REFUSED)),
    ("whos-off pending",        (SEEN,    SEEN,    HIDDEN,  SEEN,    SEEN,    HIDDEN,  HIDDEN)),
    ("whos-off approved",       (SEEN,    SEEN,    SEEN,    SEEN,    SEEN,    SEEN,    SEEN)),
    ("whos-off ?department_id", (SEEN,    SEEN,    HIDDEN,  NA,      SEEN,    HIDDEN,  HIDDEN)),
    ("feed of a department",    (CREATED, CREATED, REFUSED, NA,      REFUSED, REFUSED, REFUSED)),
    ("feed of a person",        (CREATED, CREATED, CREATED, CREATED, CREATED, CREATED, CREATED)),
    ("balance",                 (SEEN,    SEEN,    REFUSED, SEEN,    SEEN,    REFUSED, REFUSED)),
    ("ledger",                  (SEEN,    SEEN,    REFUSED, SEEN,    SEEN,    REFUSED, REFUSED)),
    ("balances ?department_id", (SEEN,    SEEN,    REFUSED, NA,      REFUSED, REFUSED, REFUSED)),
]
# fmt: on


@dataclass(frozen=True)
class Row:
    operation: str
    caller: str
    subject: str
    relation: str
    expected: Cell

    @property
    def id(self) -> str:
        return f"{self.operation}|{self.caller}:{self.relation}:{self.subject}"


ROWS = [
    Row(operation, caller, subject, relation, cell)
    for operation, cells in TABLE
    for (caller, subject, relation), cell in zip(COLUMNS, cells, strict=True)
    if cell is not None
]


# -- the company -----------------------------------------------------------------------------


@dataclass
class World:
    stack: Stack
    tenant: Tenant
    ids: dict[str, str] = field(default_factory=dict)  # people, departments, the leave type
    tokens: dict[str, str] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)  # person -> base pending request
    approved: dict[str, str] = field(default_factory=dict)  # person -> base approved request
    pool: dict[str, str] = field(default_factory=dict)  # write row id -> its pending request
    days: Iterator[date] = field(default_factory=lambda: _free_days(BASE + timedelta(weeks=1)))

    def call(self, who: str, service: str, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.tokens[who]}"}
        url = f"{self.tenant.urls[service]}{path}"
        return httpx.request(method, url, headers=headers, timeout=10, **kw)

    def submit(self, who: str, day: date, *, reason: str | None = None, **body: Any) -> str:
        payload = {
            "leave_type_id": self.ids["vacation"],
            "start_date": day.isoformat(),
            "end_date": day.isoformat(),
            **({"reason": reason} if reason else {}),
            **body,
        }
        r = self.call(who, "requests", "POST", LEAVE, json=payload)
        assert r.status_code == 202, r.text
        return str(r.json()["id"])

    def status(self, request_id: str) -> str:
        r = self.call("admin", "requests", "GET", f"{LEAVE}/{request_id}")
        assert r.status_code == 200, r.text
        return str(r.json()["status"])

    def all_pending(self, request_ids: list[str]) -> None:
        eventually(
            lambda: all(self.status(i) == "pending" for i in request_ids),
            timeout=30,
            what=f"{len(request_ids)} requests pending",
        )

    def department_of(self, person: str) -> str | None:
        name = DEPARTMENT[person]
        return self.ids[name] if name else None


def _free_days(start: date) -> Iterator[date]:
    """Working days from `start` on, each handed out once: a row's leave overlaps no other."""
    day = start
    while True:
        if day.isoweekday() <= 5:
            yield day
        day += timedelta(days=1)


@pytest.fixture(scope="module")
def stack(e2e_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    private = Stack(
        tmp_path_factory.mktemp("visibility-matrix"),
        ports=Stack.free_ports(),
        store=e2e_store,
        database_prefix=f"lf_matrix_{secrets.token_hex(4)}",  # a shared MongoDB: our own
        ready_timeout=60.0,
    )
    try:
        with private:
            yield private
    finally:
        _drop_mongo_databases(private)


def _drop_mongo_databases(stack: Stack) -> None:
    """A real MongoDB keeps what the module wrote (the stand-ins forget it when they stop)."""
    if stack.mongo_url is None:
        return
    from pymongo import MongoClient

    client: MongoClient[dict[str, Any]] = MongoClient(stack.mongo_url)
    try:
        for service in stack.database_urls:
            client.drop_database(f"{stack.database_prefix}_{service}")
    finally:
        client.close()


@pytest.fixture(scope="module")
def world(stack: Stack) -> World:
    tenant = sign_up(stack.urls)
    w = World(stack, tenant)
    ids, tokens = w.ids, w.tokens
    tokens["admin"] = tenant.token
    hq = tenant.location("HQ")
    # Enough days for every row that books some, in any leave year the rows reach.
    ids["vacation"] = tenant.leave_type("Vacation", allowance=100, location_ids=[hq])
    with tenant.client("requests") as api:
        r = api.patch(f"/v1/employees/{tenant.admin_id}", json={"location_id": hq})
        assert r.status_code == 200, r.text  # the admin books leave too (the stream's marker)
    for approver in ("A", "B"):
        ids[approver], tokens[approver] = tenant.employee(approver, role="approver", location_id=hq)
    with tenant.client("requests") as api:
        for name, approver in (("X", "A"), ("Y", "B")):
            r = api.post("/v1/departments", json={"name": name, "approver_ids": [ids[approver]]})
            assert r.status_code == 201, r.text
            ids[name] = r.json()["id"]
    for person in ("U", "W", "V"):
        ids[person], tokens[person] = tenant.employee(
            person, location_id=hq, department_id=w.department_of(person)
        )

    for person in SUBJECTS:
        w.pending[person] = w.submit(person, PENDING_DAY, reason=reason_of(person))
        w.approved[person] = w.submit(person, APPROVED_DAY, reason=reason_of(person))
    for row in ROWS:
        if row.operation in ON_A_PENDING_REQUEST:
            w.pool[row.id] = w.submit(row.subject, next(w.days))
    w.all_pending([*w.pending.values(), *w.approved.values(), *w.pool.values()])
    for person, request_id in w.approved.items():
        decision = {"note": note_for(person)}
        r = w.call("admin", "requests", "POST", f"{LEAVE}/{request_id}/approve", json=decision)
        assert r.status_code == 200, r.text

    # Balances and calendar learn the directory and the leave from events: wait until what
    # the table reads has reached them (the positive cases only; a leak must not be waited
    # for).
    expected = {w.pending[p]: "pending" for p in SUBJECTS} | {
        w.approved[p]: "approved" for p in SUBJECTS
    }
    eventually(
        lambda: _whos_off(w, "admin", include_pending=True)[0] == expected,
        timeout=30,
        what="the base requests in the admin's who's-off",
    )
    eventually(
        lambda: w.pending["W"] in _whos_off(w, "A", include_pending=True)[0],
        timeout=30,
        what="the calendar knowing that A approves for X",
    )
    eventually(
        lambda: w.call("A", "balances", "GET", f"/v1/balances/{ids['W']}").status_code == 200,
        timeout=30,
        what="balances knowing that A approves for X",
    )
    eventually(
        lambda: {ids["U"], ids["W"]} <= _balance_holders(w, "A", ids["X"]),
        timeout=30,
        what="balances knowing X's people",
    )
    return w


# -- the operations: each answers (status, whether the subject's data showed / took effect) ---

Outcome = tuple[int, bool]


def _no_secret_of(subject: str, text: str) -> None:
    for secret in (reason_of(subject), note_for(subject)):
        assert secret not in text, f"{secret!r} leaked"


def _listed(w: World, who: str, subject: str, params: dict[str, str]) -> Outcome:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page_params = {**params, "limit": "1000", **({"cursor": cursor} if cursor else {})}
        r = w.call(who, "requests", "GET", LEAVE, params=page_params)
        if r.status_code != 200:
            return r.status_code, False
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    theirs = {i["id"] for i in items if i["employee_id"] == w.ids[subject]}
    if theirs:
        assert {w.pending[subject], w.approved[subject]} <= theirs
    else:
        _no_secret_of(subject, json.dumps(items))
    return 200, bool(theirs)


def requests_list(w: World, who: str, subject: str) -> Outcome:
    return _listed(w, who, subject, {})


def requests_by_employee(w: World, who: str, subject: str) -> Outcome:
    return _listed(w, who, subject, {"employee_id": w.ids[subject]})


def requests_by_department(w: World, who: str, subject: str) -> Outcome:
    department_id = w.department_of(subject)
    assert department_id is not None
    return _listed(w, who, subject, {"department_id": department_id})


def request_by_id(w: World, who: str, subject: str) -> Outcome:
    r = w.call(who, "requests", "GET", f"{LEAVE}/{w.approved[subject]}")
    if r.status_code != 200:
        _no_secret_of(subject, r.text)
        assert w.ids[subject] not in r.text
        return r.status_code, False
    body = r.json()
    assert body["employee_id"] == w.ids[subject]
    # In scope, the whole request: its reason and the decision's note.
    assert body["reason"] == reason_of(subject)
    assert note_for(subject) in r.text
    return 200, True


def working_days(w: World, who: str, subject: str) -> Outcome:
    params = {"employee_id": w.ids[subject], "start_date": WEEK["from"], "end_date": WEEK["to"]}
    r = w.call(who, "requests", "GET", "/v1/working-days", params=params)
    if r.status_code == 422:
        assert [e["field"] for e in r.json()["errors"]] == ["employee_id"], r.text
        return 422, False
    if r.status_code != 200:
        return r.status_code, False
    assert Decimal(str(r.json()["amount"])) == 5, r.text
    return 200, True


def stream(w: World, who: str, subject: str) -> Outcome:
    """Opens `who`'s stream, then the subject submits and (unless that is `who`) `who` does:
    events arrive in the order they happened, so had the subject's been visible it would have
    arrived before `who`'s own, which everyone sees."""
    headers = {"authorization": f"Bearer {w.tokens[who]}"}
    url = f"{w.tenant.urls['requests']}/v1/stream"
    seen: list[dict[str, Any]] = []
    timeout = httpx.Timeout(10.0, read=STREAM_WAIT)
    with httpx.stream("GET", url, headers=headers, timeout=timeout) as r:
        if r.status_code != 200:
            return r.status_code, False
        lines = r.iter_lines()
        for line in lines:
            if line.startswith(": stream open"):
                break
        theirs = w.submit(subject, next(w.days), reason=reason_of(subject))
        marker = theirs if who == subject else w.submit(who, next(w.days))
        deadline = time.monotonic() + STREAM_WAIT
        for line in lines:
            if line.startswith("data:"):
                seen.append(json.loads(line.removeprefix("data:")))
                if seen[-1]["data"].get("request_id") == marker:
                    break
            assert time.monotonic() < deadline, f"no event of {who}'s own request; saw {seen}"
    about = [e["data"] for e in seen]
    shown = any(d.get("request_id") == theirs for d in about)
    if not shown:
        assert all(d.get("employee_id") != w.ids[subject] for d in about), about
        _no_secret_of(subject, json.dumps(seen))
    return 200, shown


def submit_for(w: World, who: str, subject: str) -> Outcome:
    day = next(w.days)
    body = {
        "employee_id": w.ids[subject],
        "leave_type_id": w.ids["vacation"],
        "start_date": day.isoformat(),
        "end_date": day.isoformat(),
    }
    r = w.call(who, "requests", "POST", LEAVE, json=body)
    # Whatever the answer, the subject's leave that day exists exactly when it was accepted.
    made = w.call(
        "admin",
        "requests",
        "GET",
        LEAVE,
        params={"employee_id": w.ids[subject], "from": day.isoformat(), "to": day.isoformat()},
    ).json()["items"]
    if r.status_code == 202:
        assert [i["id"] for i in made] == [r.json()["id"]]
    else:
        assert made == [], made
    return r.status_code, bool(made)


def _decide(
    action: str, status_after: str, body: dict[str, str]
) -> Callable[[World, str, str, str], Outcome]:
    def decide(w: World, who: str, subject: str, request_id: str) -> Outcome:
        r = w.call(who, "requests", "POST", f"{LEAVE}/{request_id}/{action}", json=body)
        if r.status_code != 200:
            _no_secret_of(subject, r.text)
        now = w.status(request_id)
        assert now in ("pending", status_after), now
        return r.status_code, now == status_after

    return decide


approve = _decide("approve", "approved", {"note": "fine"})
deny = _decide("deny", "denied", {"note": "not then"})
cancel = _decide("cancel", "cancelled", {"note": "changed plans"})


def withdraw(w: World, who: str, subject: str) -> Outcome:
    """A cancellation while the request is still `submitted`: balances is paused, so it has
    not answered yet (a withdrawal, issue 13 item 4), by the same rule as a cancellation."""
    w.stack.kill("balances", signal.SIGSTOP, wait=False)
    try:
        request_id = w.submit(subject, next(w.days))
        assert w.status(request_id) == "submitted"
        path = f"{LEAVE}/{request_id}/cancel"
        r = w.call(who, "requests", "POST", path, json={"note": "not after all"})
        now = w.status(request_id)
    finally:
        w.stack.kill("balances", signal.SIGCONT, wait=False)
    assert now in ("submitted", "cancelled"), now
    return r.status_code, now == "cancelled"


def _whos_off(
    w: World, who: str, *, include_pending: bool, department_id: str | None = None
) -> tuple[dict[str, str], str]:
    """Request id -> status of what `who` sees off in BASE, and the answer's text."""
    params = {**WEEK, "include_pending": str(include_pending).lower()}
    if department_id is not None:
        params["department_id"] = department_id
    r = w.call(who, "calendar", "GET", "/v1/whos-off", params=params)
    assert r.status_code == 200, r.text
    for secret in SECRETS:  # approved leave too: never a reason or a note
        assert secret not in r.text, f"{secret!r} in who's-off"
    return {i["request_id"]: i["status"] for i in r.json()["items"]}, r.text


def whos_off_pending(w: World, who: str, subject: str) -> Outcome:
    items, text = _whos_off(w, who, include_pending=True)
    shown = items.get(w.pending[subject]) == "pending"
    assert shown or w.pending[subject] not in text
    return 200, shown


def whos_off_approved(w: World, who: str, subject: str) -> Outcome:
    items, _ = _whos_off(w, who, include_pending=True)
    plain, _ = _whos_off(w, who, include_pending=False)
    assert plain == {i: s for i, s in items.items() if s == "approved"}  # the team calendar
    return 200, plain.get(w.approved[subject]) == "approved"


def whos_off_by_department(w: World, who: str, subject: str) -> Outcome:
    department_id = w.department_of(subject)
    assert department_id is not None
    items, text = _whos_off(w, who, include_pending=True, department_id=department_id)
    # The department's approved leave is everyone's; only the pending is scoped.
    assert items.get(w.approved[subject]) == "approved", items
    shown = items.get(w.pending[subject]) == "pending"
    assert shown or w.pending[subject] not in text
    return 200, shown


def _feed(w: World, who: str, body: dict[str, str]) -> tuple[int, set[str]]:
    """POST /v1/feeds, then the leave UIDs the new feed's calendar holds."""
    r = w.call(who, "calendar", "POST", "/v1/feeds", json=body)
    if r.status_code != 201:
        listed = w.call(who, "calendar", "GET", "/v1/feeds").json()["items"]
        assert all(f.get("scope_id") != body["scope_id"] for f in listed), listed
        return r.status_code, set()
    url = str(r.json()["url"])
    assert url.startswith(w.tenant.urls["calendar"]), url
    ics = httpx.get(url, timeout=10)
    assert ics.status_code == 200, ics.text
    for secret in SECRETS:
        assert secret not in ics.text, f"{secret!r} in a feed"
    uids = {str(e["UID"]) for e in Calendar.from_ical(ics.content).walk("VEVENT")}
    for pending in w.pending.values():  # a feed holds approved leave only
        assert f"leave-{pending}@leaveflow" not in uids
    return 201, uids


def feed_of_department(w: World, who: str, subject: str) -> Outcome:
    department = DEPARTMENT[subject]
    assert department is not None
    status, uids = _feed(w, who, {"scope": "department", "scope_id": w.ids[department]})
    if status == 201:
        for person, request_id in w.approved.items():  # the department's people, no one else
            held = f"leave-{request_id}@leaveflow" in uids
            assert held == (DEPARTMENT[person] == department), (person, uids)
    return status, status == 201


def feed_of_person(w: World, who: str, subject: str) -> Outcome:
    status, uids = _feed(w, who, {"scope": "employee", "scope_id": w.ids[subject]})
    return status, f"leave-{w.approved[subject]}@leaveflow" in uids


def balance(w: World, who: str, subject: str) -> Outcome:
    path = f"/v1/balances/{w.ids[subject]}"
    r = w.call(who, "balances", "GET", path, params={"as_of": BASE.isoformat()})
    if r.status_code != 200:
        assert w.ids[subject] not in r.text
        return r.status_code, False
    body = r.json()
    assert body["employee_id"] == w.ids[subject]
    (line,) = (b for b in body["balances"] if b["leave_type_id"] == w.ids["vacation"])
    assert Decimal(str(line["pending"])) >= 1, line  # the base pending request, reserved
    return 200, True


def ledger(w: World, who: str, subject: str) -> Outcome:
    path = f"/v1/ledger/{w.ids[subject]}"
    r = w.call(who, "balances", "GET", path, params={"limit": "1000"})
    if r.status_code != 200:
        assert w.ids[subject] not in r.text
        return r.status_code, False
    kinds = {e["kind"] for e in r.json()["items"]}
    assert {"accrual", "reservation"} <= kinds, kinds
    return 200, True


def _balance_holders(w: World, who: str, department_id: str) -> set[str]:
    r = w.call(who, "balances", "GET", "/v1/balances", params={"department_id": department_id})
    assert r.status_code == 200, r.text
    return {str(i["employee_id"]) for i in r.json()["items"]}


def balances_by_department(w: World, who: str, subject: str) -> Outcome:
    department_id = w.department_of(subject)
    assert department_id is not None
    params = {"department_id": department_id, "as_of": BASE.isoformat()}
    r = w.call(who, "balances", "GET", "/v1/balances", params=params)
    if r.status_code != 200:
        assert w.ids[subject] not in r.text
        return r.status_code, False
    holders = {i["employee_id"] for i in r.json()["items"]}
    department = DEPARTMENT[subject]
    assert holders == {w.ids[p] for p, d in DEPARTMENT.items() if d == department}
    return 200, w.ids[subject] in holders


OPERATIONS: dict[str, Callable[[World, str, str], Outcome]] = {
    "requests list": requests_list,
    "requests ?employee_id": requests_by_employee,
    "requests ?department_id": requests_by_department,
    "request by id": request_by_id,
    "working-days": working_days,
    "stream": stream,
    "submit for": submit_for,
    "whos-off pending": whos_off_pending,
    "whos-off approved": whos_off_approved,
    "whos-off ?department_id": whos_off_by_department,
    "feed of a department": feed_of_department,
    "feed of a person": feed_of_person,
    "balance": balance,
    "ledger": ledger,
    "balances ?department_id": balances_by_department,
    "withdraw (submitted)": withdraw,
}
ON_A_PENDING_REQUEST: dict[str, Callable[[World, str, str, str], Outcome]] = {
    "approve": approve,
    "deny": deny,
    "cancel": cancel,
}


def test_the_table_names_every_operation_once() -> None:
    operations = {op for op, _ in TABLE}
    assert len(TABLE) == len(operations) == len(OPERATIONS) + len(ON_A_PENDING_REQUEST)
    assert operations == set(OPERATIONS) | set(ON_A_PENDING_REQUEST)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_visibility(world: World, row: Row) -> None:
    if row.operation in ON_A_PENDING_REQUEST:
        act = ON_A_PENDING_REQUEST[row.operation]
        outcome = act(world, row.caller, row.subject, world.pool[row.id])
    else:
        outcome = OPERATIONS[row.operation](world, row.caller, row.subject)
    assert outcome == (row.expected.status, row.expected.effect), row.id

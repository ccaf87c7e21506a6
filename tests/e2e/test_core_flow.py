"""The core flow through the real processes: sign up, request, reserve, approve, see it
everywhere; then kill -9 balances mid-flight and lose nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_devstack.stack import Stack
from leaveflow_devstack.testing import wait_offered
from leaveflow_kit.testing import WebhookSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

# Far enough ahead that "the leave has not started" holds whenever the suite runs.
BASE_MONDAY = date(date.today().year + 2, 1, 1)
while BASE_MONDAY.isoweekday() != 1:
    BASE_MONDAY += timedelta(days=1)


def weekday(n: int) -> date:
    """The n-th weekday from BASE_MONDAY."""
    return BASE_MONDAY + timedelta(days=(n // 5) * 7 + n % 5)


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    # One per test: a test counts the posts it caused, and the parametrised stacks (sqlite,
    # mongo) each run the same tenant flow.
    with WebhookSink() as s:
        yield s


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_until(fetch: Any, predicate: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {value}")
        time.sleep(0.1)


class Tenant:
    def __init__(self, stack: Stack, sink: WebhookSink, name: str = "Acme") -> None:
        self.urls = stack.urls
        self.http = httpx.Client(timeout=10)
        r = self.http.post(
            f"{self.urls['requests']}/v1/tenants",
            json={"name": name, "admin_name": "Ada Admin", "admin_email": f"ada@{name}.test"},
        )
        assert r.status_code == 201, r.text
        body = r.json()
        self.tenant_id, self.admin_id = body["tenant_id"], body["admin_id"]
        self.admin = body["token"]
        r = self.http.put(
            f"{self.urls['notifications']}/v1/integrations/slack",
            json={"webhook_url": sink.url, "signing_secret": "s3cret"},
            headers=auth(self.admin),
        )
        assert r.status_code == 200, r.text
        assert "s3cret" not in r.text
        r = self.http.post(
            f"{self.urls['requests']}/v1/locations",
            json={"name": "HQ", "timezone": "UTC"},
            headers=auth(self.admin),
        )
        assert r.status_code == 201, r.text
        self.location = r.json()["id"]
        r = self.http.post(
            f"{self.urls['requests']}/v1/leave-types",
            json={"name": "Vacation", "unit": "days"},
            headers=auth(self.admin),
        )
        assert r.status_code == 201, r.text
        self.vacation = r.json()["id"]
        # Balances come from the type's policy at the location: 25 days, upfront.
        r = self.http.put(
            f"{self.urls['balances']}/v1/policies/{self.location}/{self.vacation}",
            json={"annual_allowance": 25, "accrual": "upfront"},
            headers=auth(self.admin),
        )
        assert r.status_code == 200, r.text
        wait_offered(self.urls["requests"], auth(self.admin), self.vacation, [self.location])

    def employee(self, name: str, email: str) -> tuple[str, str]:
        r = self.http.post(
            f"{self.urls['requests']}/v1/employees",
            json={
                "name": name,
                "email": email,
                "role": "user",
                "start_date": "2020-01-01",
                "location_id": self.location,
            },
            headers=auth(self.admin),
        )
        assert r.status_code == 201, r.text
        employee_id = r.json()["id"]
        r = self.http.post(
            f"{self.urls['requests']}/v1/auth/dev-login",
            json={"tenant_id": self.tenant_id, "email": email},
        )
        assert r.status_code == 200, r.text
        assert r.json()["employee_id"] == employee_id
        return employee_id, r.json()["token"]

    def request(self, request_id: str, token: str | None = None) -> dict[str, Any]:
        r = self.http.get(
            f"{self.urls['requests']}/v1/leave-requests/{request_id}",
            headers=auth(token or self.admin),
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    def balance(self, employee_id: str) -> dict[str, Any]:
        r = self.http.get(
            f"{self.urls['balances']}/v1/balances/{employee_id}",
            # The leave year of the requested days: leave counts in its own year.
            params={"as_of": BASE_MONDAY.isoformat()},
            headers=auth(self.admin),
        )
        assert r.status_code == 200, r.text
        (vacation,) = [b for b in r.json()["balances"] if b["leave_type_id"] == self.vacation]
        return dict(vacation)


def test_request_flows_to_approval_balance_calendar_and_slack(
    stack: Stack, sink: WebhookSink
) -> None:
    acme = Tenant(stack, sink)
    ana_id, ana = acme.employee("Ana Lima", "ana@acme.test")
    start, end = weekday(0), weekday(2)

    r = acme.http.post(
        f"{acme.urls['requests']}/v1/leave-requests",
        json={
            "leave_type_id": acme.vacation,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "end_part": "am",
        },
        headers=auth(ana),
    )
    assert r.status_code == 202, r.text
    submitted = r.json()
    assert submitted["status"] == "submitted"
    assert submitted["amount"] == 2.5
    request_id = submitted["id"]

    submitted_at = time.monotonic()
    wait_until(lambda: acme.request(request_id, ana)["status"], lambda s: s == "pending")
    # An idle stack hands an event on at once: no consumer may sit on a lone message
    # waiting for a batch to fill (nats-py's lingering fetch would hold it 5 s).
    assert time.monotonic() - submitted_at < 2.0
    assert acme.balance(ana_id)["pending"] == 2.5

    r = acme.http.post(
        f"{acme.urls['requests']}/v1/leave-requests/{request_id}/approve",
        json={"note": "enjoy"},
        headers=auth(acme.admin),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"

    balance = wait_until(lambda: acme.balance(ana_id), lambda b: b["used"] == 2.5)
    assert balance["pending"] == 0
    assert balance["remaining"] == 22.5
    assert balance["available"] == 22.5

    def whos_off() -> list[dict[str, Any]]:
        r = acme.http.get(
            f"{acme.urls['calendar']}/v1/whos-off",
            params={"from": start.isoformat(), "to": end.isoformat()},
            headers=auth(ana),
        )
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    (item,) = wait_until(whos_off, lambda items: len(items) == 1)
    assert item["employee_name"] == "Ana Lima"
    assert item["leave_type_name"] == "Vacation"
    assert item["status"] == "approved"
    assert (item["start_date"], item["end_date"], item["end_part"]) == (
        start.isoformat(),
        end.isoformat(),
        "am",
    )

    def approvals() -> list[Any]:
        return [c for c in sink.snapshot() if "Leave approved" in c.json()["text"]]

    wait_until(approvals, lambda c: len(c) >= 1)
    time.sleep(1.0)  # a duplicate would arrive now
    calls = approvals()
    assert len(calls) == 1
    assert "was approved" in calls[0].json()["text"]
    r = acme.http.get(f"{acme.urls['notifications']}/v1/deliveries", headers=auth(acme.admin))
    (delivery,) = [d for d in r.json()["items"] if d["event_type"] == "LeaveApproved"]
    assert delivery["status"] == "sent"
    assert delivery["attempts"] == 1
    assert delivery["event_type"] == "LeaveApproved"


def test_request_beyond_the_balance_is_rejected(stack: Stack, sink: WebhookSink) -> None:
    acme = Tenant(stack, sink, name="Greedy")
    _, bob = acme.employee("Bob", "bob@greedy.test")
    r = acme.http.post(
        f"{acme.urls['requests']}/v1/leave-requests",
        json={
            "leave_type_id": acme.vacation,
            "start_date": weekday(0).isoformat(),
            "end_date": weekday(29).isoformat(),  # 30 working days > 25
        },
        headers=auth(bob),
    )
    assert r.status_code == 202, r.text
    final = wait_until(
        lambda: acme.request(r.json()["id"], bob), lambda q: q["status"] != "submitted"
    )
    assert final["status"] == "rejected"
    assert final["rejection_reason"] == "insufficient_balance"


async def _submit_all(
    url: str, token: str, leave_type_id: str, days: list[date]
) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(day: date) -> dict[str, Any]:
            r = await client.post(
                f"{url}/v1/leave-requests",
                json={
                    "leave_type_id": leave_type_id,
                    "start_date": day.isoformat(),
                    "end_date": day.isoformat(),
                },
                headers=auth(token),
            )
            assert r.status_code == 202, r.text
            return dict(r.json())

        return list(await asyncio.gather(*(one(d) for d in days)))


def test_killing_balances_mid_flight_loses_and_doubles_nothing(
    make_stack: Any, sink: WebhookSink
) -> None:
    stack: Stack = make_stack()
    acme = Tenant(stack, sink, name="Crashy")
    cara_id, cara = acme.employee("Cara", "cara@crashy.test")
    days = [weekday(i) for i in range(20)]

    first = asyncio.run(_submit_all(acme.urls["requests"], cara, acme.vacation, days[:8]))
    stack.kill("balances")  # SIGKILL: no graceful shutdown, no final ack
    rest = asyncio.run(_submit_all(acme.urls["requests"], cara, acme.vacation, days[8:]))
    stack.start_service("balances")

    ids = [r["id"] for r in first + rest]
    assert len(ids) == 20
    for request_id in ids:
        wait_until(
            lambda rid=request_id: acme.request(rid, cara)["status"],
            lambda s: s == "pending",
            timeout=60,
        )
    balance = acme.balance(cara_id)
    assert balance["pending"] == 20
    r = acme.http.get(f"{acme.urls['balances']}/v1/ledger/{cara_id}", headers=auth(acme.admin))
    reservations = [e for e in r.json()["items"] if e["kind"] == "reservation"]
    assert sorted(e["request_id"] for e in reservations) == sorted(ids)

    # Approvals in a burst, with balances killed halfway: each becomes one deduction.
    approved = ids[:10]
    for n, request_id in enumerate(approved):
        if n == 5:
            stack.kill("balances")
        r = acme.http.post(
            f"{acme.urls['requests']}/v1/leave-requests/{request_id}/approve",
            json={},
            headers=auth(acme.admin),
        )
        assert r.status_code == 200, r.text
    stack.start_service("balances")
    balance = wait_until(lambda: acme.balance(cara_id), lambda b: b["used"] == 10, timeout=60)
    time.sleep(1.0)  # a redelivered approval would land now
    balance = acme.balance(cara_id)
    assert (balance["used"], balance["pending"], balance["remaining"]) == (10, 10, 15)
    r = acme.http.get(f"{acme.urls['balances']}/v1/ledger/{cara_id}", headers=auth(acme.admin))
    deductions = [e["request_id"] for e in r.json()["items"] if e["kind"] == "deduction"]
    assert sorted(deductions) == sorted(approved)

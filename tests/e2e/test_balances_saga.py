"""The reservation saga through the real processes: policies decide, numbers travel with
a rejection, half a day past the negative allowance is refused, a cancelled approval gives
the days back, and a request across 31 December is split between the two leave years."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Any

import nats
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

YEAR = date.today().year + 2  # far enough ahead that the leave has never started


def weekdays(start: date, n: int) -> list[date]:
    out: list[date] = []
    day = start
    while len(out) < n:
        if day.isoweekday() <= 5:
            out.append(day)
        day += timedelta(days=1)
    return out


class Person:
    """An employee at a fresh location with one leave type whose policy the test chooses."""

    def __init__(self, tenant: Tenant, allowance: int, **policy: Any) -> None:
        self.tenant = tenant
        location = tenant.location("Office")
        self.leave_type = tenant.leave_type(
            allowance=allowance, location_ids=[location], policy=policy
        )
        self.id, self.token = tenant.employee("Pat", location_id=location)

    def request(self, first: date, last: date, **body: Any) -> dict[str, Any]:
        with self.tenant.client("requests") as http:
            r = http.post(
                "/v1/leave-requests",
                json={
                    "employee_id": self.id,
                    "leave_type_id": self.leave_type,
                    "start_date": first.isoformat(),
                    "end_date": last.isoformat(),
                    **body,
                },
            )
        assert r.status_code == 202, r.text
        return dict(r.json())

    def settled(self, request_id: str) -> dict[str, Any]:
        def status() -> dict[str, Any] | None:
            with self.tenant.client("requests") as http:
                body = http.get(f"/v1/leave-requests/{request_id}").json()
            return dict(body) if body["status"] != "submitted" else None

        return eventually(status, timeout=20, what=f"request {request_id} settled")

    def act(self, request_id: str, action: str) -> dict[str, Any]:
        with self.tenant.client("requests") as http:
            r = http.post(f"/v1/leave-requests/{request_id}/{action}", json={"note": "e2e"})
        assert r.status_code == 200, r.text
        return dict(r.json())

    def balance(self, as_of: date) -> dict[str, Any]:
        with self.tenant.client("balances") as http:
            r = http.get(f"/v1/balances/{self.id}", params={"as_of": as_of.isoformat()})
        assert r.status_code == 200, r.text
        (only,) = r.json()["balances"]
        return dict(only)

    def ledger(self) -> list[dict[str, Any]]:
        with self.tenant.client("balances") as http:
            r = http.get(f"/v1/ledger/{self.id}", params={"to": f"{YEAR + 1}-12-31"})
        assert r.status_code == 200, r.text
        return list(r.json()["items"])


async def _rejection(nats_url: str, request_id: str) -> dict[str, Any]:
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().subscribe(
            "lf.balances.LeaveReservationRejected.v1", ordered_consumer=True
        )
        while True:
            msg = await sub.next_msg(timeout=20)
            envelope = json.loads(msg.data)
            if envelope["data"]["request_id"] == request_id:
                return dict(envelope["data"])
    finally:
        await nc.close()


def test_insufficient_balance_rejects_with_the_numbers(stack: Stack, tenant: Tenant) -> None:
    pat = Person(tenant, 5)
    first = weekdays(date(YEAR, 3, 2), 3)
    assert pat.settled(pat.request(first[0], first[-1])["id"])["status"] == "pending"
    second = weekdays(date(YEAR, 4, 6), 3)
    asked = pat.request(second[0], second[-1])
    rejected = pat.settled(asked["id"])
    assert (rejected["status"], rejected["rejection_reason"]) == (
        "rejected",
        "insufficient_balance",
    )
    event = asyncio.run(_rejection(stack.nats_url, asked["id"]))
    assert (event["amount"], event["available"]) == ("3.00", "2.00")
    b = pat.balance(date(YEAR, 1, 1))
    assert (b["accrued"], b["pending"], b["available"]) == (5, 3, 2)


def test_negative_allowance_allows_exactly_that_much(tenant: Tenant) -> None:
    pat = Person(tenant, 5, negative_allowance=2)
    days = weekdays(date(YEAR, 3, 2), 7)  # 5 + 2
    assert pat.settled(pat.request(days[0], days[-1])["id"])["status"] == "pending"
    half = date(YEAR, 5, 4)
    refused = pat.settled(pat.request(half, half, start_part="am")["id"])
    assert refused["status"] == "rejected"
    b = pat.balance(date(YEAR, 1, 1))
    assert (b["remaining"], b["pending"], b["available"]) == (5, 7, 0)


def test_cancel_after_approval_restores_the_days(tenant: Tenant) -> None:
    pat = Person(tenant, 10)
    days = weekdays(date(YEAR, 6, 1), 4)
    request_id = pat.request(days[0], days[-1])["id"]
    assert pat.settled(request_id)["status"] == "pending"
    pat.act(request_id, "approve")
    eventually(lambda: pat.balance(days[0])["used"] == 4, timeout=20, what="deducted")
    pat.act(request_id, "cancel")
    b = eventually(
        lambda: (b := pat.balance(days[0]))["used"] == 0 and b, timeout=20, what="restored"
    )
    assert (b["pending"], b["remaining"], b["available"]) == (0, 10, 10)
    kinds = sorted(e["kind"] for e in pat.ledger() if e["request_id"] == request_id)
    assert kinds == ["deduction", "reservation", "reservation_release", "restoration"]
    causes = {e["source_event_id"] for e in pat.ledger() if e["request_id"] == request_id}
    assert None not in causes
    assert len(causes) == 3  # requested, approved, cancelled


def test_a_request_across_31_december_is_split_between_the_years(tenant: Tenant) -> None:
    pat = Person(tenant, 3)
    first, last = date(YEAR, 12, 18), date(YEAR + 1, 1, 12)
    asked = pat.request(first, last)
    days = [date.fromisoformat(d) for d in asked["working_days"]]
    in_first = sum(1 for d in days if d.year == YEAR)
    in_second = len(days) - in_first
    # 3 a year cannot pay for either part of a two-week span.
    assert in_first > 3 or in_second > 3
    assert pat.settled(asked["id"])["status"] == "rejected"
    # Three days each side of New Year fit: each year pays its own part.
    span = [d for d in days if d.year == YEAR][-3:] + [d for d in days if d.year == YEAR + 1][:3]
    asked = pat.request(span[0], span[-1])
    assert pat.settled(asked["id"])["status"] == "pending"
    assert pat.balance(date(YEAR, 12, 31))["pending"] == 3
    assert pat.balance(date(YEAR + 1, 1, 1))["pending"] == 3
    reservations = [
        (e["effective_date"], e["amount"])
        for e in pat.ledger()
        if e["request_id"] == asked["id"] and e["kind"] == "reservation"
    ]
    assert reservations == [(span[0].isoformat(), 3), (span[3].isoformat(), 3)]

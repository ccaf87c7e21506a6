"""Issue 13's "nothing stuck" for balances, on the real stack (processes, NATS): a far date
never leaves a request `submitted` for ever, and a `submitted` request withdrawn while
balances is away gets nothing reserved once balances is back.

Balances' own rule (an event it cannot book is answered LeaveReservationRejected at once,
never retried, never dead-lettered) is proven on the bus by
services/balances/tests/service/test_invalid_event_on_the_bus.py: requests refuses such
dates at its edge, so the stack cannot be made to send one.

One private stack for the module (it pauses the balances process), one tenant.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, coming_mondays, eventually, sign_up

pytestmark = pytest.mark.e2e

LEAVE = "/v1/leave-requests"
(WITHDRAW_WEEK,) = coming_mondays(1, weeks_ahead=2)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with Stack(
        tmp_path_factory.mktemp("security-balances"), ports=Stack.free_ports(), ready_timeout=60.0
    ) as private:
        yield private


@dataclass
class Office:
    tenant: Tenant
    vacation: str
    ana_id: str
    ana: str

    def call(self, token: str, service: str, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"}
        url = f"{self.tenant.urls[service]}{path}"
        return httpx.request(method, url, headers=headers, timeout=10, **kw)

    def status(self, request_id: str) -> dict[str, Any]:
        r = self.call(self.tenant.token, "requests", "GET", f"{LEAVE}/{request_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def vacation_balance(self) -> dict[str, Any]:
        r = self.call(self.ana, "balances", "GET", f"/v1/balances/{self.ana_id}")
        assert r.status_code == 200, r.text
        (found,) = [b for b in r.json()["balances"] if b["leave_type_id"] == self.vacation]
        return dict(found)


@pytest.fixture(scope="module")
def office(stack: Stack) -> Office:
    tenant = sign_up(stack.urls)
    location = tenant.location("HQ")
    vacation = tenant.leave_type("Vacation", allowance=10, location_ids=[location])
    ana_id, ana = tenant.employee("Ana", location_id=location)
    return Office(tenant, vacation, ana_id, ana)


def test_a_far_date_never_leaves_a_request_submitted(office: Office) -> None:
    far = date.max - timedelta(days=1)  # 9999-12-30: its leave year ends in year 10000
    body = {"leave_type_id": office.vacation, "start_date": str(far), "end_date": str(far)}
    r = office.call(office.ana, "requests", "POST", LEAVE, json=body)
    # Refused at the edge (requests bounds dates), or else answered by balances: rejected,
    # with a reason, soon; never `submitted` for ever, never blocking those days.
    assert r.status_code in (202, 422), r.text
    if r.status_code == 202:
        request_id = r.json()["id"]
        done = eventually(
            lambda: (s := office.status(request_id))["status"] != "submitted" and s,
            timeout=20,
            what="balances answered the far request",
        )
        assert done["status"] == "rejected"
        assert str(done["rejection_reason"]).startswith("invalid_request: ")
    assert office.vacation_balance()["pending"] == 0


def test_a_submitted_request_withdrawn_while_balances_is_away_reserves_nothing(
    stack: Stack, office: Office
) -> None:
    monday = WITHDRAW_WEEK
    body = {
        "leave_type_id": office.vacation,
        "start_date": str(monday),
        "end_date": str(monday + timedelta(days=2)),
    }
    stack.kill("balances", signal.SIGSTOP, wait=False)  # it answers nothing meanwhile
    try:
        r = office.call(office.ana, "requests", "POST", LEAVE, json=body)
        assert r.status_code == 202, r.text
        request_id = r.json()["id"]
        assert office.status(request_id)["status"] == "submitted"
        cancelled = office.call(office.ana, "requests", "POST", f"{LEAVE}/{request_id}/cancel")
        assert cancelled.status_code == 200, cancelled.text
    finally:
        stack.kill("balances", signal.SIGCONT, wait=False)

    # Back, balances applies the request, then its withdrawal (one stream, in order): what
    # it reserved for a moment is released, and the request stays cancelled.
    def booked() -> list[str]:
        r = office.call(office.ana, "balances", "GET", f"/v1/ledger/{office.ana_id}")
        return sorted(e["kind"] for e in r.json()["items"] if e.get("request_id") == request_id)

    eventually(
        lambda: booked() == ["reservation", "reservation_release"],
        timeout=30,
        what="balances reserved and released the withdrawn request",
    )
    eventually(
        lambda: office.vacation_balance()["pending"] == 0, timeout=30, what="nothing pending"
    )
    balance = office.vacation_balance()
    assert (balance["used"], balance["available"]) == (0, 10)
    assert office.status(request_id)["status"] == "cancelled"
    # The days are free again: the same week can be asked for anew.
    again = office.call(office.ana, "requests", "POST", LEAVE, json=body)
    assert again.status_code == 202, again.text

"""Home by level and the change of a pending request, in process: each of my requests
says where it stands among its levels; a pending one is changed through
``PATCH /v1/leave-requests/{id}`` with the request form's preview (its own days given back
first), and a refusal is said at its field."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest

from leaveflow_web.bootstrap import create_app

from .conftest import WEB, csrf_of, employee_of, settings, sign_in
from .levels_fakes import NAMES
from .test_request_form import MONDAY, LeaveServices, answer


def request_of(
    rid: str, status: str, levels: list[dict[str, Any]], days: int = 5
) -> dict[str, Any]:
    current = next((lv["level"] for lv in levels if lv["status"] == "pending"), None)
    return {
        "id": rid, "employee_id": "eve", "leave_type_id": "vac", "department_id": "eng",
        "start_date": MONDAY.isoformat(),
        "end_date": (MONDAY + timedelta(days=days - 1)).isoformat(),
        "start_part": "full", "end_part": "full", "amount": float(days), "unit": "days",
        "status": status, "reason": "trip", "history": [], "warnings": [],
        "approval": {"current_level": current, "levels": levels},
    }  # fmt: skip


def level(
    n: int, who: str, status: str, by: str | None = None, note: str | None = None
) -> dict[str, Any]:
    at = "2026-11-30T09:15:00+00:00" if by else None
    return {"level": n, "approver_ids": [who], "status": status, "decided_by": by,
            "decided_at": at, "note": note}  # fmt: skip


@dataclass
class EditServices(LeaveServices):
    """``LeaveServices`` plus one request read and changed by id, the balance holding
    the pending requests' days, and the people's names."""

    patched: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refuse: httpx.Response | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if employee_of(request) is not None and path.startswith("/v1/leave-requests/"):
            rid = path.rsplit("/", 1)[1]
            found = next((r for r in self.requests if r["id"] == rid), None)
            if found is None:
                return answer(404, {"title": "Not Found", "status": 404})
            if request.method == "PATCH":
                body = json.loads(request.content)
                self.patched.append((rid, body))
                if self.refuse is not None:
                    return self.refuse
                found.update({k: v for k, v in body.items() if k != "hours"})
                return answer(200, found)
            return answer(200, found)
        if employee_of(request) is not None and path == "/v1/employees":
            people = [{"id": i, "name": n} for i, n in NAMES.items()]
            return answer(200, {"items": people, "next_cursor": None})
        return super().__call__(request)

    def _balances(self, as_of: Any) -> httpx.Response:
        response = super()._balances(as_of)
        body = response.json()
        held = sum(r["amount"] for r in self.requests if r["status"] == "pending")
        for line in body["balances"]:
            line["pending"], line["available"] = held, line["remaining"] - held
        return answer(200, body)


@pytest.fixture
def leave() -> EditServices:
    return EditServices()


@pytest.fixture
async def eve(leave: EditServices) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), transport=httpx.MockTransport(leave))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        await sign_in(client, "eve@acme.test")
        yield client


def text_of(page: httpx.Response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page.text).split())


def row_of(page: httpx.Response, rid: str) -> str:
    start = page.text.index(f'data-request-id="{rid}"')
    row = page.text[start : page.text.index("</li>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


async def test_each_request_says_where_it_stands_among_its_levels(
    eve: httpx.AsyncClient, leave: EditServices
) -> None:
    first = level(1, "paula", "approved", "paula")
    leave.requests = [
        request_of("w", "pending", [first, level(2, "sam", "pending")]),
        request_of("a", "approved", [first, level(2, "sam", "approved", "sam")]),
        request_of("d", "denied", [first, level(2, "sam", "denied", "sam", "busy week")]),
        request_of("one", "pending", [level(1, "paula", "pending")]),
    ]
    home = await eve.get("/")
    assert "Waiting for level 2 of 2: Sam Second" in row_of(home, "w")
    assert "Approved by Paula Approver and Sam Second" in row_of(home, "a")
    assert "Denied at level 2 by Sam Second: busy week" in row_of(home, "d")
    # One level: the plain words, as before levels existed.
    assert "Waiting for approval" in row_of(home, "one")
    assert "level 1 of 1" not in row_of(home, "one")
    assert "/requests/w/edit" in home.text
    assert "/requests/a/edit" not in home.text  # only a pending request is changed here
    partial = await eve.get("/partials/my-requests")
    assert "Waiting for level 2 of 2: Sam Second" in row_of(partial, "w")


async def test_a_pending_request_is_changed_with_its_own_days_given_back(
    eve: httpx.AsyncClient, leave: EditServices
) -> None:
    leave.requests = [request_of("w", "pending", [level(1, "paula", "pending")])]
    page = await eve.get("/requests/w/edit")
    assert f'value="{MONDAY.isoformat()}"' in page.text
    assert 'value="trip"' in page.text
    # 20 left, 5 of them held by this request: three days instead leave 17, not 12.
    wednesday = (MONDAY + timedelta(days=2)).isoformat()
    preview = await eve.get(
        "/requests/w/edit/preview", params={"start_date": MONDAY.isoformat(), "end_date": wednesday}
    )
    assert "Left after approval: 17 days" in text_of(preview)
    token = csrf_of(page)
    saved = await eve.post(
        "/requests/w/edit",
        data={"csrf_token": token, "start_date": MONDAY.isoformat(), "end_date": wednesday,
              "start_part": "full", "end_part": "full", "reason": ""},
    )  # fmt: skip
    assert saved.status_code == 200
    assert leave.patched == [
        ("w", {"start_date": MONDAY.isoformat(), "end_date": wednesday,
               "start_part": "full", "end_part": "full", "reason": None}),
    ]  # fmt: skip
    assert "Changed. Your approvers decide it again, from the first level." in text_of(saved)


async def test_a_refused_change_is_said_at_its_field(
    eve: httpx.AsyncClient, leave: EditServices
) -> None:
    leave.requests = [request_of("w", "pending", [level(1, "paula", "pending")])]
    leave.refuse = answer(
        422,
        {"title": "Unprocessable content", "status": 422,
         "errors": [{"field": "end_date", "message": "max_consecutive is 3 days"}]},
    )  # fmt: skip
    token = csrf_of(await eve.get("/requests/w/edit"))
    friday = (MONDAY + timedelta(days=4)).isoformat()
    refused = await eve.post(
        "/requests/w/edit",
        data={"csrf_token": token, "start_date": MONDAY.isoformat(), "end_date": friday},
    )
    assert refused.status_code == 422
    near = refused.text[refused.text.index('id="f-end_date"') :].split("</div>")[0]
    assert "Check the last day" in near
    assert f'value="{friday}"' in near  # what was typed stays


async def test_a_decided_request_cannot_be_changed(
    eve: httpx.AsyncClient, leave: EditServices
) -> None:
    leave.requests = [request_of("a", "approved", [level(1, "paula", "approved", "paula")])]
    page = await eve.get("/requests/a/edit")
    assert page.status_code == 409
    assert "Only a request still waiting for approval can be changed." in text_of(page)
    token = csrf_of(await eve.get("/"))
    posted = await eve.post("/requests/a/edit", data={"csrf_token": token, "start_date": "x"})
    assert posted.status_code == 409
    assert leave.patched == []

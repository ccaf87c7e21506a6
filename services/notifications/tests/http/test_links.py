"""Approve / Deny links act only for the approver they were signed for, signed in: the
dashboard's decide page reads and decides through `/v1/actions/{token}`; the old
`/actions/{token}` addresses only redirect there."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from leaveflow_notifications.service_layer.links import LinkActions
from leaveflow_notifications.service_layer.ports import ApiAnswer

from .conftest import App

TTL = 72 * 3600


class FakeRequestsApi:
    """The requests service as the approver would see it; records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.status = "pending"
        start = date.today() + timedelta(days=14)
        self.request = {
            "id": "r1",
            "employee_id": "t1-ana",
            "leave_type_id": "vac",
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=1)).isoformat(),
            "start_part": "full",
            "end_part": "full",
            "reason": "family",
        }

    async def as_employee(
        self,
        tenant_id: str,
        employee_id: str,
        method: str,
        service: str,
        path: str,
        *,
        via: str = "chat",
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> ApiAnswer:
        self.calls.append((employee_id, method, path))
        if method == "POST":
            if self.status != "pending":
                return ApiAnswer(409, {"detail": "not pending"})
            self.status = "approved" if path.endswith("/approve") else "denied"
        return ApiAnswer(200, {**self.request, "status": self.status})


@pytest.fixture
def api(app: App) -> FakeRequestsApi:
    fake = FakeRequestsApi()
    state = app.app.state
    state.links = LinkActions(state.links._store, app.world.box, fake, TTL, app.world.clock)
    return fake


def _link(app: App, approvers: Any = ("t1-bo",), decision: str = "approve", age: int = 0) -> str:
    claims = {"lid": "l1", "tid": "t1", "aid": list(approvers), "rid": "r1", "d": decision}
    return str(app.world.box.sign_link(claims, int(app.world.clock.now().timestamp()) - age))


async def test_the_approver_signed_in_sees_the_request(app: App, api: FakeRequestsApi) -> None:
    token = _link(app)
    response = await app.http.get(f"/v1/actions/{token}", headers=app.auth("t1-bo", "approver"))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "request_id": "r1",
        "decision": "approve",
        "employee_name": "Ana Lima",
        "leave_type_name": "Vacation",
        "start_date": api.request["start_date"],
        "end_date": api.request["end_date"],
        "start_part": "full",
        "end_part": "full",
        "status": "pending",
    }
    assert api.calls == [("t1-bo", "GET", "/v1/leave-requests/r1")], "read as the approver"


async def test_anyone_else_gets_the_answer_of_a_forged_link(app: App, api: FakeRequestsApi) -> None:
    token = _link(app)
    forged = await app.http.get(
        f"/v1/actions/{token[:-4]}AAAA", headers=app.auth("t1-bo", "approver")
    )
    assert forged.status_code == 404
    for headers in (
        app.auth("t1-ana", "user"),
        app.auth("t1-cy", "admin"),  # an admin too: the link was not signed for them
        app.auth("t1-bo", "approver", tenant="t2"),  # the same id in another tenant
    ):
        seen = await app.http.get(f"/v1/actions/{token}", headers=headers)
        assert (seen.status_code, seen.json()) == (404, forged.json())
        decided = await app.http.post(f"/v1/actions/{token}", json={"note": None}, headers=headers)
        assert (decided.status_code, decided.json()) == (404, forged.json())
    assert api.calls == [], "nothing about the request was asked, nothing decided"
    assert (await app.http.get(f"/v1/actions/{token}")).status_code == 401


async def test_the_approver_decides_once(app: App, api: FakeRequestsApi) -> None:
    token = _link(app)
    bo = app.auth("t1-bo", "approver")
    done = await app.http.post(f"/v1/actions/{token}", json={"note": "enjoy"}, headers=bo)
    assert done.status_code == 200, done.text
    assert done.json() == {"request_id": "r1", "status": "approved"}
    again = await app.http.post(f"/v1/actions/{token}", json={"note": None}, headers=bo)
    assert again.status_code == 409
    deny = _link(app, decision="deny")
    other = await app.http.post(f"/v1/actions/{deny}", json={}, headers=bo)
    assert other.status_code == 409, "the message's other link: one decision per message"
    posts = [c for c in api.calls if c[1] == "POST"]
    assert posts == [("t1-bo", "POST", "/v1/leave-requests/r1/approve")]
    page = await app.http.get(f"/v1/actions/{token}", headers=bo)
    assert page.json()["status"] == "approved", "a used link still shows where things stand"


async def test_a_channel_link_acts_for_each_approver_it_was_signed_for(
    app: App, api: FakeRequestsApi
) -> None:
    token = _link(app, approvers=["t1-bo", "t1-di"])
    for who in ("t1-bo", "t1-di"):
        seen = await app.http.get(f"/v1/actions/{token}", headers=app.auth(who, "approver"))
        assert seen.status_code == 200
    stranger = await app.http.get(f"/v1/actions/{token}", headers=app.auth("t1-ana", "user"))
    assert stranger.status_code == 404


async def test_an_expired_link_is_gone(app: App, api: FakeRequestsApi) -> None:
    old = _link(app, age=int(timedelta(days=4).total_seconds()))
    bo = app.auth("t1-bo", "approver")
    assert (await app.http.get(f"/v1/actions/{old}", headers=bo)).status_code == 410
    assert (await app.http.post(f"/v1/actions/{old}", json={}, headers=bo)).status_code == 410
    assert api.calls == []


async def test_old_addresses_redirect_to_the_dashboard_and_never_decide(
    app: App, api: FakeRequestsApi
) -> None:
    token = _link(app)
    dashboard = app.app.state.dashboard_url.rstrip("/")
    for method in ("GET", "POST"):
        response = await app.http.request(method, f"/actions/{token}")
        assert response.status_code == 303
        assert response.headers["location"] == f"{dashboard}/decide/{token}"
    assert api.calls == []


async def test_a_link_whose_level_has_passed_says_so_and_decides_nothing(
    app: App, api: FakeRequestsApi
) -> None:
    """Level 1's approver opens their link after level 1 was approved: requests refuses
    (403), which reads as a sentence, and the link is not spent."""
    token = _link(app)
    bo = app.auth("t1-bo", "approver")
    real = api.as_employee

    async def refusing(tenant_id: str, employee_id: str, method: str, *a: Any, **k: Any) -> Any:
        api.calls.append((employee_id, method, "refused"))
        return ApiAnswer(403, {"detail": "not a decider of level 2"})

    api.as_employee = refusing  # type: ignore[method-assign]
    refused = await app.http.post(f"/v1/actions/{token}", json={}, headers=bo)
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "This request now waits for someone else's decision; nothing was changed."
    )
    api.as_employee = real  # type: ignore[method-assign]
    done = await app.http.post(f"/v1/actions/{token}", json={}, headers=bo)
    assert done.status_code == 200, "the link was given back"
    assert [c for c in api.calls if c[1] == "POST"] == [
        ("t1-bo", "POST", "refused"),
        ("t1-bo", "POST", "/v1/leave-requests/r1/approve"),
    ]


async def test_a_link_decides_the_level_it_was_signed_for(app: App, api: FakeRequestsApi) -> None:
    bodies: list[Any] = []
    real = api.as_employee

    async def recording(*args: Any, **kwargs: Any) -> ApiAnswer:
        bodies.append(kwargs.get("json"))
        return await real(*args, **kwargs)

    api.as_employee = recording  # type: ignore[method-assign]
    claims = {"lid": "l2", "tid": "t1", "aid": ["t1-bo"], "rid": "r1", "d": "deny", "lvl": 2}
    token = app.world.box.sign_link(claims, int(app.world.clock.now().timestamp()))
    done = await app.http.post(
        f"/v1/actions/{token}", json={"note": "no"}, headers=app.auth("t1-bo", "approver")
    )
    assert done.status_code == 200, done.text
    assert bodies == [{"note": "no", "level": 2}]
    assert api.calls[-1] == ("t1-bo", "POST", "/v1/leave-requests/r1/deny")

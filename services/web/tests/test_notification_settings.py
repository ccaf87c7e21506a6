"""The Notifications page, in process against fake services: each person chooses which of
the company's channels reach them, an admin does it for anyone, and the header names the
signed-in person.

The fake notifications service keeps preferences as the real one does: every channel on
until turned off, readable and writable by the person or an admin, 404 for someone the
directory does not know, and ``available`` naming the channels the company has set up.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from leaveflow_web.bootstrap import create_app

from .conftest import WEB, FakeServices, csrf_of, employee_of, problem, settings, sign_in

NAMES = {"eve": "Eve Example", "paula": "Paula Approver", "ada": "Ada Admin"}
CHANNELS = ("slack", "teams", "email")


@dataclass
class PreferenceServices(FakeServices):
    available: list[str] = field(default_factory=lambda: ["slack", "email"])
    chosen: dict[str, dict[str, bool]] = field(default_factory=dict)
    saved: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # by, for, body

    def __post_init__(self) -> None:
        self.people = {**self.people, "ada@acme.test": ("ada", "admin")}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, who = request.url.path, employee_of(request)
        if who is None or path.startswith("/v1/auth/") or path == "/v1/tenants":
            return super().__call__(request)
        self.calls.append(request)
        if path.startswith("/v1/employees/"):
            found = path.removeprefix("/v1/employees/")
            if found not in NAMES:
                return problem(404, "Not Found", "no such employee")
            email = next(e for e, (i, _) in self.people.items() if i == found)
            return httpx.Response(200, json={"id": found, "name": NAMES[found], "email": email})
        if path.startswith("/v1/preferences/"):
            return self._preferences(request, who, path.removeprefix("/v1/preferences/"))
        return httpx.Response(200, json={"items": []})

    def _preferences(self, request: httpx.Request, who: str, whose: str) -> httpx.Response:
        if whose != who and who != "ada":
            return problem(403, "Forbidden", "requires role admin")
        if whose not in NAMES:
            return problem(404, "Not Found", "no such employee")
        if request.method == "PUT":
            body = json.loads(request.content)
            self.saved.append((who, whose, body))
            self.chosen[whose] = {c: bool(body.get(c, True)) for c in CHANNELS}
        mine = self.chosen.get(whose, {})
        doc = {c: mine.get(c, True) for c in CHANNELS}
        return httpx.Response(
            200,
            json={"tenant_id": "t1", "employee_id": whose, **doc, "available": self.available},
        )


@pytest.fixture
def services() -> PreferenceServices:
    return PreferenceServices()


async def _client(services: PreferenceServices, email: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), transport=httpx.MockTransport(services))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        await sign_in(client, email)
        yield client


@pytest.fixture
async def eve(services: PreferenceServices) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(services, "eve@acme.test"):
        yield client


@pytest.fixture
async def ada(services: PreferenceServices) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(services, "ada@acme.test"):
        yield client


def checkbox(page: httpx.Response, channel: str) -> str | None:
    found = re.search(rf'<input type="checkbox" id="channel-{channel}"[^>]*>', page.text)
    return found.group(0) if found else None


async def test_only_the_channels_the_company_set_up_are_offered_each_explained(
    eve: httpx.AsyncClient,
) -> None:
    page = await eve.get("/notifications")
    assert page.status_code == 200
    assert 'href="/notifications" aria-current="page"' in page.text
    slack, teams, email = (checkbox(page, c) for c in CHANNELS)
    assert slack is not None
    assert "checked" in slack
    assert email is not None
    assert "checked" in email
    assert teams is None  # the company has no Teams: nothing to choose
    assert "Microsoft Teams</label>" not in page.text
    assert "a direct message from the Leaveflow app" in page.text
    assert "A message to eve@acme.test" in page.text


async def test_unticking_email_saves_it_off_and_keeps_what_is_not_offered(
    eve: httpx.AsyncClient, services: PreferenceServices
) -> None:
    services.chosen["eve"] = {"slack": True, "teams": False, "email": True}
    page = await eve.get("/notifications")
    saved = await eve.post("/notifications", data={"csrf_token": csrf_of(page), "slack": "on"})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/notifications?saved=1"
    # Teams is not set up, so the page did not show it: Eve's earlier "off" stays.
    assert services.saved == [("eve", "eve", {"slack": True, "teams": False, "email": False})]
    again = await eve.get(saved.headers["location"])
    assert "Saved. Leaveflow now reaches you only the ways ticked here." in again.text
    email = checkbox(again, "email")
    assert email is not None
    assert "checked" not in email


async def test_a_save_without_the_form_token_changes_nothing(
    eve: httpx.AsyncClient, services: PreferenceServices
) -> None:
    refused = await eve.post("/notifications", data={"slack": "on"})
    assert refused.status_code == 403
    assert services.saved == []


async def test_a_company_without_channels_says_so_instead_of_an_empty_form(
    eve: httpx.AsyncClient, services: PreferenceServices
) -> None:
    services.available = []
    page = await eve.get("/notifications")
    assert 'id="notification-form"' not in page.text
    assert "has not connected Slack, Microsoft Teams or email yet" in page.text
    assert "/admin/integrations" not in page.text  # only admins can connect them


async def test_an_admin_changes_anyones_from_their_employee_page(
    ada: httpx.AsyncClient, services: PreferenceServices
) -> None:
    employee = await ada.get("/admin/employees/eve")
    assert 'href="/notifications/eve"' in employee.text
    page = await ada.get("/notifications/eve")
    assert page.status_code == 200
    assert "Notifications for Eve Example" in page.text
    assert "A message to eve@acme.test" in page.text
    saved = await ada.post("/notifications/eve", data={"csrf_token": csrf_of(page), "email": "on"})
    assert saved.headers["location"] == "/notifications/eve?saved=1"
    assert services.saved == [("ada", "eve", {"slack": False, "teams": True, "email": True})]
    done = await ada.get(saved.headers["location"])
    assert "Leaveflow now reaches Eve Example only the ways ticked here." in done.text


async def test_someone_else_s_page_is_for_admins_and_known_people_only(
    eve: httpx.AsyncClient, ada: httpx.AsyncClient, services: PreferenceServices
) -> None:
    theirs = await eve.get("/notifications/paula")
    assert theirs.status_code == 403
    page = await eve.get("/notifications")
    posted = await eve.post(
        "/notifications/paula", data={"csrf_token": csrf_of(page), "email": "on"}
    )
    assert posted.status_code == 403
    assert services.saved == []
    unknown = await ada.get("/notifications/nobody")
    assert unknown.status_code == 404
    assert "There is no such person in your company." in unknown.text


async def test_the_header_names_the_signed_in_person_beside_their_email(
    eve: httpx.AsyncClient,
) -> None:
    page = await eve.get("/notifications")
    assert '<span class="who-name" data-testid="person-name">Eve Example</span>' in page.text
    assert '<span class="who">eve@acme.test</span>' in page.text


async def test_the_header_keeps_the_email_alone_when_the_name_is_unknown(
    services: PreferenceServices,
) -> None:
    services.people = {**services.people, "zed@acme.test": ("zed", "user")}
    async for zed in _client(services, "zed@acme.test"):
        page = await zed.get("/notifications")
        assert page.status_code == 200
        assert "who-name" not in page.text
        assert '<span class="who">zed@acme.test</span>' in page.text

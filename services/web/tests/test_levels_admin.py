"""The department page's approval levels in process, against ``AdminServices``: levels are
added, ordered and removed with their conditions, the API's refusals come back as sentences
at the level they are about with what was typed, the shorthand single level keeps working,
and the preview says where a request goes as the requests service would route it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from leaveflow_web.bootstrap import create_app

from .admin_fakes import AdminServices
from .conftest import WEB, csrf_of, settings, sign_in


@pytest.fixture
def services() -> AdminServices:
    services = AdminServices()
    services.records["employees"]["ben"] = {
        "id": "ben", "name": "Ben Boss", "email": "ben@acme.test", "role": "approver",
        "location_id": None, "department_id": None, "start_date": None, "end_date": None,
        "active": True,
    }  # fmt: skip
    return services


@pytest.fixture
async def admin(services: AdminServices) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), transport=httpx.MockTransport(services))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        signed = await sign_in(client, "ada@acme.test")
        assert signed.status_code in (200, 303), signed.text
        yield client


def text_of(page: httpx.Response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page.text).split())


def two_levels(services: AdminServices) -> tuple[str, str, str]:
    vacation = services.add("leave-types", name="Vacation", unit="days")
    sick = services.add("leave-types", name="Sick leave", unit="days")
    dep = services.add(
        "departments",
        name="Engineering",
        approver_ids=["paula"],
        approval_levels=[
            {"approver_ids": ["paula"], "min_amount": None, "leave_type_ids": None},
            {"approver_ids": ["ben"], "min_amount": 5, "leave_type_ids": [vacation]},
        ],
    )
    return dep, vacation, sick


async def levels_post(
    client: httpx.AsyncClient, dep: str, op: str, levels: list[dict[str, Any]]
) -> httpx.Response:
    token = csrf_of(await client.get("/admin/departments"))
    data: list[tuple[str, str]] = [
        ("csrf_token", token), ("levels", str(len(levels))), ("name", "Engineering"), ("op", op),
    ]  # fmt: skip
    for i, level in enumerate(levels):
        data += [(f"level-{i}-approver_ids", a) for a in level.get("approvers", [])]
        data.append((f"level-{i}-min_amount", str(level.get("min", ""))))
        data += [(f"level-{i}-leave_type_ids", t) for t in level.get("types", [])]
    return await client.post(
        f"/admin/departments/{dep}/levels",
        content=urlencode(data),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def saved_approvers(services: AdminServices) -> list[list[str]]:
    """The approvers of each level in the last write's ``approval_levels``."""
    body: Any = services.writes[-1][2]
    return [level["approver_ids"] for level in body["approval_levels"]]


async def test_the_preview_routes_a_request_through_the_levels_that_apply(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    dep, vacation, sick = two_levels(services)
    page = text_of(await admin.get("/admin/departments"))
    # The default case reaches every level: the largest minimum, the type a level lists.
    assert (
        "A 5-day Vacation request in Engineering goes: Level 1 (Paula Approver) → "
        "Level 2 (Ben Boss)" in page
    )
    assert "Level 2: Ben Boss (from 5 days; only Vacation)" in page
    short = text_of(
        await admin.get(
            "/admin/departments",
            params={"preview": dep, "leave_type_id": vacation, "amount": "4.5"},
        )
    )
    assert "A 4.5-day Vacation request in Engineering goes: Level 1 (Paula Approver)" in short
    assert "→" not in short.split("goes:")[1].split(".")[0]
    other = text_of(
        await admin.get(
            "/admin/departments", params={"preview": dep, "leave_type_id": sick, "amount": "9"}
        )
    )
    assert "A 9-day Sick leave request in Engineering goes: Level 1 (Paula Approver)" in other
    assert "Ben Boss)" not in other.split("goes:")[1][:60]


async def test_no_applicable_level_goes_to_the_admins(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    vacation = services.add("leave-types", name="Vacation", unit="days")
    dep = services.add(
        "departments",
        name="Support",
        approver_ids=["ben"],
        approval_levels=[{"approver_ids": ["ben"], "min_amount": 3, "leave_type_ids": None}],
    )
    page = text_of(
        await admin.get(
            "/admin/departments", params={"preview": dep, "leave_type_id": vacation, "amount": "1"}
        )
    )
    assert "A 1-day Vacation request in Support goes to the admins: no level applies to it." in page


async def test_levels_are_added_moved_and_removed_with_their_conditions(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    dep, vacation, _sick = two_levels(services)
    first: dict[str, Any] = {"approvers": ["paula"]}
    second: dict[str, Any] = {"approvers": ["ben"], "min": "5", "types": [vacation]}
    added = await levels_post(admin, dep, "add", [first, second])
    assert added.status_code == 200
    assert "Level 3 of Engineering" in added.text
    assert not [w for w in services.writes if w[1] == f"/v1/departments/{dep}"]  # nothing saved

    third: dict[str, Any] = {"approvers": ["ada"], "min": "10"}
    await levels_post(admin, dep, "save", [first, second, third])
    assert services.writes[-1] == (
        "PATCH",
        f"/v1/departments/{dep}",
        {
            "approval_levels": [
                {"approver_ids": ["paula"]},
                {"approver_ids": ["ben"], "min_amount": 5, "leave_type_ids": [vacation]},
                {"approver_ids": ["ada"], "min_amount": 10},
            ]
        },
    )
    moved = await levels_post(admin, dep, "up-2", [first, second, third])
    assert saved_approvers(services) == [["paula"], ["ada"], ["ben"]]
    assert "Approval levels of Engineering saved." in moved.text
    await levels_post(admin, dep, "down-0", [first, third, second])
    assert saved_approvers(services) == [["ada"], ["paula"], ["ben"]]
    removed = await levels_post(admin, dep, "remove-0", [third, first, second])
    assert saved_approvers(services) == [["paula"], ["ben"]]
    assert "Level 2: Ben Boss" in text_of(removed)


async def test_a_refused_level_is_said_at_the_level_with_what_was_typed(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    dep, vacation, _sick = two_levels(services)
    before = dict(services.records["departments"][dep])
    page = await levels_post(
        admin, dep, "save",
        [{"approvers": ["paula"]}, {"approvers": [], "min": "3", "types": [vacation]}],
    )  # fmt: skip
    assert page.status_code == 422
    start = page.text.index("Level 2 of Engineering")
    level_2 = page.text[start : page.text.index("Remove level 2", start)]
    assert 'value="3"' in level_2  # what was typed is still there
    assert "Each level needs at least one approver: tick someone, or remove the level." in level_2
    assert services.records["departments"][dep] == before
    negative = await levels_post(admin, dep, "save", [{"approvers": ["paula"], "min": "-1"}])
    assert "The minimum amount must be 0 or more." in negative.text
    eve = await levels_post(admin, dep, "save", [{"approvers": ["eve"]}])
    assert "Someone ticked no longer approves" in eve.text


async def test_the_shorthand_single_level_still_reads_and_renames_keep_the_levels(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    dep = services.add("departments", name="Sales", approver_ids=["paula"])
    page = text_of(await admin.get("/admin/departments"))
    assert "Approvers: Paula Approver" in page
    assert "A 1-day leave request in Sales goes: Level 1 (Paula Approver)" in page
    token = csrf_of(await admin.get("/admin/departments"))
    await admin.post(f"/admin/departments/{dep}", data={"csrf_token": token, "name": "Sales EU"})
    assert services.writes[-1] == ("PATCH", f"/v1/departments/{dep}", {"name": "Sales EU"})
    # A department without levels is offered one empty level; saved blank it stays none.
    bare = services.add("departments", name="Ops", approver_ids=[])
    await levels_post(admin, bare, "save", [{}])
    empty: tuple[str, str, Any] = ("PATCH", f"/v1/departments/{bare}", {"approval_levels": []})
    assert services.writes[-1] == empty

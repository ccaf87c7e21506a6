"""Leave counted in hours fills only a part of its day's cell, with an "h" cue in words and
on the cell, so a 2-hour appointment never reads as a day off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from leaveflow_web.month_grid import type_class

from .test_team_calendar import MONDAY, WEEK, Directory, cell_titles, rows, web


class WithHours(Directory):
    """The directory with a leave type counted in hours ("Doctor")."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = super().__call__(request)
        if request.url.path == "/v1/leave-types":
            items: list[dict[str, Any]] = answer.json()["items"]
            doctor = {"id": "doc", "name": "Doctor", "color": "#8e3b96", "unit": "hours"}
            return httpx.Response(200, json={"items": [*items, doctor], "next_cursor": None})
        return answer


@pytest.fixture
def directory() -> Directory:
    return WithHours()


def absence(leave_type_id: str, name: str, day_offset: int) -> dict[str, Any]:
    day = (MONDAY + timedelta(days=day_offset)).isoformat()
    return {
        "employee_id": "ana", "employee_name": "Ana Berlin", "leave_type_id": leave_type_id,
        "leave_type_name": name, "leave_type_color": None, "private": False,
        "start_date": day, "end_date": day, "start_part": "full", "end_part": "full",
        "status": "approved",
    }  # fmt: skip


async def test_an_hours_leave_takes_part_of_the_cell_and_says_hours(
    web: httpx.AsyncClient, directory: Directory
) -> None:
    directory.absences = [absence("doc", "Doctor", 1), absence("vac", "Vacation", 2)]
    page = await web.get("/team", params=WEEK)
    ana = rows(page)["Ana Berlin"]
    assert cell_titles(ana)[1:3] == ["Doctor for some hours, approved", "Vacation, approved"]
    assert (
        f'<span class="half part {type_class("doc")} approved" aria-hidden="true">D&nbsp;h' in ana
    )
    assert f'<span class="half whole {type_class("vac")} approved"' in ana
    assert "leave for some hours" in page.text  # the legend explains the cue


async def test_without_hours_leave_the_legend_does_not_explain_it(
    web: httpx.AsyncClient, directory: Directory
) -> None:
    directory.absences = [absence("vac", "Vacation", 2)]
    page = await web.get("/team", params=WEEK)
    assert "leave for some hours" not in page.text


__all__ = ["web"]  # the signed-in client of the team calendar tests, over this directory

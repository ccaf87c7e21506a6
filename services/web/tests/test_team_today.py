"""The team calendar's "today" is the viewer's own date, where they work, not UTC's."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_web.month_grid import today_in

from .test_team_calendar import Directory, web

NOW = datetime.now(UTC)
# A zone whose date differs from UTC's right now: UTC+14 is tomorrow from 10:00 UTC on,
# UTC-11 yesterday before 11:00 UTC, so one of them always is.
AHEAD = NOW.hour >= 10
ZONE = "Pacific/Kiritimati" if AHEAD else "Pacific/Pago_Pago"
VIEWER_TODAY = NOW.date() + timedelta(days=1 if AHEAD else -1)


def test_today_is_the_date_in_the_zone() -> None:
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    assert today_in("Asia/Jerusalem", late) == date(2026, 12, 2)
    assert today_in("America/New_York", late) == date(2026, 12, 1)
    assert today_in("Nowhere/Atlantis", late) == date(2026, 12, 1)
    assert today_in(None, late) == date(2026, 12, 1)


class FarAway(Directory):
    """Ana's location (Berlin's id) keeps its clock in a zone whose date is not UTC's."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = super().__call__(request)
        if request.url.path == "/v1/locations":
            items: list[dict[str, Any]] = answer.json()["items"]
            zoned = [{**loc, "timezone": ZONE} if loc["id"] == "ber" else loc for loc in items]
            return httpx.Response(200, json={"items": zoned, "next_cursor": None})
        return answer


@pytest.fixture
def directory() -> Directory:
    return FarAway()


async def test_the_marked_day_is_the_viewer_s_today(web: httpx.AsyncClient) -> None:
    page = await web.get("/team", params={"view": "week", "date": VIEWER_TODAY.isoformat()})
    marked = re.findall(
        r'aria-current="date">.*?<span class="date-num">(\d+)</span>', page.text, re.S
    )
    assert marked == [str(VIEWER_TODAY.day)]
    # The month shown by default is the viewer's month too.
    default = await web.get("/team")
    assert f"{VIEWER_TODAY:%B %Y}" in default.text


async def test_the_viewer_s_today_holds_on_a_department_they_are_not_in(
    web: httpx.AsyncClient,
) -> None:
    week = {"view": "week", "date": VIEWER_TODAY.isoformat(), "department_id": "sales"}
    page = await web.get("/team", params=week)
    marked = re.findall(
        r'aria-current="date">.*?<span class="date-num">(\d+)</span>', page.text, re.S
    )
    assert marked == [str(VIEWER_TODAY.day)]


__all__ = ["web"]  # the signed-in client of the team calendar tests, over this directory

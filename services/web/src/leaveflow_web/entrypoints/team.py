"""Team calendar: a month of who is off, public holidays marked, and the iCal feed link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..api import Api
from ..month_grid import build_grid, month_days, parse_month, shift_month
from ..session import Csrf
from .common import UserApi, attempt, form_fields, render

router = APIRouter()

FEED_SCOPES = ("tenant", "department", "location", "employee")


async def _holidays(api: Api, location_ids: list[str], year: int) -> dict[str, str]:
    found: dict[str, str] = {}
    for location_id in location_ids:
        listed, _ = await attempt(
            api.get("requests", f"/v1/locations/{location_id}/holidays", year=year)
        )
        for item in (listed or {}).get("items", []):
            found.setdefault(item["date"], item["name"])
    return found


async def _calendar(api: Api, month: str, department_id: str, location_id: str) -> dict[str, Any]:
    first = parse_month(month, datetime.now(UTC).date())
    days = month_days(first)
    absences, problem = await attempt(
        api.get(
            "calendar",
            "/v1/whos-off",
            **{"from": days[0].isoformat(), "to": days[-1].isoformat()},
            department_id=department_id,
            location_id=location_id,
            include_pending="true",
        )
    )
    departments, _ = await attempt(api.items("requests", "/v1/departments"))
    locations, _ = await attempt(api.items("requests", "/v1/locations"))
    shown = [location_id] if location_id else [loc["id"] for loc in locations or []]
    header, rows = build_grid(
        first, (absences or {}).get("items", []), await _holidays(api, shown, first.year)
    )
    return {
        "month": first,
        "previous": shift_month(first, -1).strftime("%Y-%m"),
        "next": shift_month(first, 1).strftime("%Y-%m"),
        "header": header,
        "rows": rows,
        "problem": problem,
        "departments": departments or [],
        "locations": locations or [],
        "department_id": department_id,
        "location_id": location_id,
    }


@router.get("/team", response_class=HTMLResponse)
async def team(
    request: Request, api: UserApi, month: str = "", department_id: str = "", location_id: str = ""
) -> Response:
    context = await _calendar(api, month, department_id, location_id)
    return render(request, "team.html", **context)


@router.get("/partials/team", response_class=HTMLResponse)
async def team_partial(
    request: Request, api: UserApi, month: str = "", department_id: str = "", location_id: str = ""
) -> Response:
    context = await _calendar(api, month, department_id, location_id)
    return render(request, "partials/month_grid.html", **context)


@router.post("/team/feed", response_class=HTMLResponse, dependencies=[Csrf])
async def subscribe(request: Request, api: UserApi) -> Response:
    """Create an iCal feed for what the calendar shows; its URL is the secret."""
    fields = form_fields(await request.form(), "department_id", "location_id")
    body: dict[str, str] = {"scope": "tenant"}
    if fields["department_id"]:
        body = {"scope": "department", "scope_id": fields["department_id"]}
    elif fields["location_id"]:
        body = {"scope": "location", "scope_id": fields["location_id"]}
    feed, problem = await attempt(api.post("calendar", "/v1/feeds", body))
    return render(request, "partials/feed.html", feed=feed, problem=problem)

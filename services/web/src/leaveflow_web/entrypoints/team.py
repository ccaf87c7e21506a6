"""Team calendar: a week or a month of everyone in the filter, each row with its own work
week and public holidays, leave in its type's colour and code; and the iCal feed link."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..api import Api
from ..i18n import gettext as _
from ..month_grid import (
    VIEWS,
    Period,
    Person,
    build_grid,
    period_of,
    today_in,
    type_rules,
    workweek_of,
)
from ..session import Csrf, User
from .common import UserApi, attempt, form_fields, render

router = APIRouter()

FEED_SCOPES = ("tenant", "department", "location", "employee")
# Rows per page: a big team is paged rather than one endless table.
PAGE_SIZE = 40


@dataclass(frozen=True)
class Filters:
    view: str
    anchor: str
    department_id: str
    location_id: str
    page: int

    def query(self, **changes: Any) -> str:
        """The query string of this view with some parts changed (for links)."""
        values = {
            "view": self.view,
            "date": self.anchor,
            "department_id": self.department_id,
            "location_id": self.location_id,
            "page": self.page,
            **changes,
        }
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1)})


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


async def _holidays(api: Api, location_id: str, years: list[int]) -> dict[date, str]:
    found: dict[date, str] = {}
    for year in years:
        listed, _ignored = await attempt(
            api.get("requests", f"/v1/locations/{location_id}/holidays", year=year)
        )
        for item in (listed or {}).get("items", []):
            day = _date(item.get("date"))
            if day is not None:
                found[day] = str(item.get("name") or _("Public holiday"))
    return found


def _in_filter(employee: dict[str, Any], filters: Filters, period: Period) -> bool:
    if filters.department_id and employee.get("department_id") != filters.department_id:
        return False
    if filters.location_id and employee.get("location_id") != filters.location_id:
        return False
    start, end = _date(employee.get("start_date")), _date(employee.get("end_date"))
    return (start is None or start <= period.last) and (end is None or end >= period.first)


async def _people(
    api: Api,
    employees: list[dict[str, Any]],
    locations: dict[str, dict[str, Any]],
    period: Period,
) -> list[Person]:
    location_ids = sorted({str(e["location_id"]) for e in employees if e.get("location_id")})
    found = await asyncio.gather(*(_holidays(api, i, period.years()) for i in location_ids))
    holidays = dict(zip(location_ids, found, strict=True))
    people = []
    for e in employees:
        location = locations.get(str(e.get("location_id") or ""), {})
        people.append(
            Person(
                id=str(e["id"]),
                name=str(e.get("name") or _("Someone")),
                workweek=workweek_of(location.get("workweek"), e.get("work_pattern")),
                holidays=holidays.get(str(e.get("location_id") or ""), {}),
                start_date=_date(e.get("start_date")),
                end_date=_date(e.get("end_date")),
                location_name=location.get("name"),
            )
        )
    return people


def _from_absences(absences: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """People known only from who is off: when the directory could not be read, those who
    are off still get their row."""
    seen: dict[str, dict[str, Any]] = {}
    for item in absences:
        key = str(item.get("employee_id"))
        seen.setdefault(
            key,
            {
                "id": key,
                "name": item.get("employee_name"),
                "location_id": item.get("location_id"),
                "department_id": item.get("department_id"),
            },
        )
    return list(seen.values())


# Two "todays" far apart: a period both give alike is the anchor's, whatever today is.
_ANY_TODAYS = (date(2001, 1, 10), date(2003, 7, 20))


def _anchored(view: str, anchor: str) -> Period | None:
    """The period the anchor names on its own; None when it takes today to decide (no
    anchor, or a malformed one)."""
    first, second = (period_of(view, anchor, today) for today in _ANY_TODAYS)
    return first if first == second else None


def _whos_off(api: Api, filters: Filters, period: Period) -> Awaitable[Any]:
    return attempt(
        api.get(
            "calendar",
            "/v1/whos-off",
            **{"from": period.first.isoformat(), "to": period.last.isoformat()},
            department_id=filters.department_id,
            location_id=filters.location_id,
            include_pending="true",
        )
    )


async def _nothing() -> tuple[None, None]:
    return None, None


async def _calendar(api: Api, filters: Filters, viewer_id: str) -> dict[str, Any]:
    # The directory is asked for the filter's people only (the list's own filters, from
    # its indexes): a 500-person department of a 50,000-person company is one page, not
    # the whole company fetched and thrown away (issue 19). The filter below still holds
    # for rows known only from who is off. Who is off goes out with the directory reads
    # when the link names its period; only "this month" waits for the viewer's today.
    anchored = _anchored(filters.view, filters.anchor)
    (
        (employees, people_problem),
        (me, _ignored),
        (departments, _ignored),
        (locations, _ignored),
        (types, _ignored),
        early,
    ) = await asyncio.gather(
        attempt(
            api.items(
                "requests",
                "/v1/employees",
                department_id=filters.department_id,
                location_id=filters.location_id,
            )
        ),
        attempt(api.get("requests", f"/v1/employees/{viewer_id}")),
        attempt(api.items("requests", "/v1/departments")),
        attempt(api.items("requests", "/v1/locations")),
        attempt(api.items("requests", "/v1/leave-types")),
        _whos_off(api, filters, anchored) if anchored else _nothing(),
    )
    hour_types = {str(t.get("id")) for t in types or [] if t.get("unit") == "hours"}
    by_location = {str(loc["id"]): loc for loc in locations or []}
    # "Today" is the viewer's own date, where they work (Tel Aviv is already tomorrow
    # while Berlin is not): the period shown by default and the day marked follow it.
    # The viewer need not be in the filter, so they are read on their own.
    viewer: dict[str, Any] = me or next(
        (e for e in employees or [] if str(e.get("id")) == viewer_id), {}
    )
    zone = by_location.get(str(viewer.get("location_id") or ""), {}).get("timezone")
    today = today_in(zone, datetime.now(UTC))
    period = period_of(filters.view, filters.anchor, today)
    filters = Filters(
        period.view, period.anchor, filters.department_id, filters.location_id, filters.page
    )
    absences_page, problem = early if anchored == period else await _whos_off(api, filters, period)
    absences: list[dict[str, Any]] = (absences_page or {}).get("items", [])
    listed = employees if employees is not None else _from_absences(absences)
    chosen = sorted(
        (e for e in listed if _in_filter(e, filters, period)),
        key=lambda e: (str(e.get("name") or "").lower(), str(e["id"])),
    )
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(max(filters.page, 1), pages)
    shown = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    people = await _people(api, shown, by_location, period)
    header, rows, legend = build_grid(period, people, absences, today, hour_types)
    filters = Filters(period.view, period.anchor, filters.department_id, filters.location_id, page)
    digest = hashlib.sha256(repr([(k.css, k.color) for k in legend]).encode()).hexdigest()[:12]
    return {
        "period": period,
        "filters": filters,
        "previous": filters.query(date=period.shifted(-1).anchor, page=1),
        "next": filters.query(date=period.shifted(1).anchor, page=1),
        "this_period": filters.query(date="", page=1),
        "views": {v: filters.query(view=v, date=period.first.isoformat(), page=1) for v in VIEWS},
        "header": header,
        "rows": rows,
        "legend": legend,
        "legend_hours": any(
            half is not None and half.hours
            for row in rows
            for cell in row.cells
            for half in (cell.am, cell.pm)
        ),
        "types_css": f"/team/leave-types.css?v={digest}",
        "problem": problem,
        "people_problem": people_problem if employees is None else None,
        "total": len(chosen),
        "page": page,
        "pages": pages,
        "first_shown": (page - 1) * PAGE_SIZE + 1 if shown else 0,
        "last_shown": (page - 1) * PAGE_SIZE + len(shown),
        "page_links": {
            "previous": filters.query(page=page - 1) if page > 1 else None,
            "next": filters.query(page=page + 1) if page < pages else None,
        },
        "departments": departments or [],
        "locations": locations or [],
        "department_id": filters.department_id,
        "location_id": filters.location_id,
    }


def _filters(
    view: str, anchor: str, month: str, department_id: str, location_id: str, page: str
) -> Filters:
    number = int(page) if page.isdigit() else 1
    # `month=YYYY-MM` is what links made before weeks existed say.
    chosen = view if view in VIEWS else "month"
    return Filters(chosen, anchor or month, department_id, location_id, number)


@router.get("/team", response_class=HTMLResponse)
async def team(
    request: Request,
    api: UserApi,
    user: User,
    view: str = "month",
    date: str = "",
    month: str = "",
    department_id: str = "",
    location_id: str = "",
    page: str = "1",
) -> Response:
    filters = _filters(view, date, month, department_id, location_id, page)
    context = await _calendar(api, filters, user.employee_id)
    return render(request, "team.html", **context)


@router.get("/partials/team", response_class=HTMLResponse)
async def team_partial(
    request: Request,
    api: UserApi,
    user: User,
    view: str = "month",
    date: str = "",
    month: str = "",
    department_id: str = "",
    location_id: str = "",
    page: str = "1",
) -> Response:
    filters = _filters(view, date, month, department_id, location_id, page)
    context = await _calendar(api, filters, user.employee_id)
    return render(request, "partials/month_grid.html", **context)


@router.get("/team/leave-types.css")
async def leave_type_styles(api: UserApi) -> Response:
    """Each leave type's colour as a class: the page's CSP allows no inline styles."""
    types, _ = await attempt(api.items("requests", "/v1/leave-types"))
    body = type_rules((str(t["id"]), t.get("color")) for t in types or [])
    return Response(body, media_type="text/css", headers={"cache-control": "private, max-age=300"})


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

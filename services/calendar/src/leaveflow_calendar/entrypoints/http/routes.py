"""HTTP routes of the calendar service."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from leaveflow_kit.auth import CurrentUser
from leaveflow_kit.http import Unprocessable

from ...service_layer.queries import whos_off

router = APIRouter(tags=["calendar"])


@router.get("/v1/whos-off")
async def get_whos_off(
    request: Request,
    user: CurrentUser,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    department_id: str | None = None,
    location_id: str | None = None,
    include_pending: bool = False,
) -> dict[str, Any]:
    """Who is off between `from` and `to` (default: today and the next 6 days)."""
    start = from_ or datetime.now(UTC).date()
    end = to or min(start, date.max - timedelta(days=6)) + timedelta(days=6)
    if end < start:
        raise Unprocessable("to is before from", field="to")
    if (end - start).days > 366:
        raise Unprocessable("a window spans at most 366 days", field="to")
    items = await whos_off(
        request.app.state.store,
        user.tenant_id,
        start,
        end,
        department_id=department_id,
        location_id=location_id,
        include_pending=include_pending,
    )
    return {"items": items, "next_cursor": None}

"""Changing one of my pending requests: its dates, parts, hours and reason, with the same
preview as the request form, sent as ``PATCH /v1/leave-requests/{id}`` (docs/api.md: the
request is re-priced and re-reserved, and its approval starts again at level 1).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..i18n import gettext as _
from ..request_preview import Dates, FormShape, parts_of
from ..session import Csrf, SignedIn, User
from ..wording import decimal_of, iso_date
from .common import UserApi, attempt, form_fields, render
from .home import Me, Preview, _judge, _submit_problem, build_preview, me

router = APIRouter()

EDIT_FIELDS = ("start_date", "end_date", "start_part", "end_part", "hours", "reason")


def values_of(leave: dict[str, Any]) -> dict[str, str]:
    """The form's fields as the request has them now."""
    values = {
        "leave_type_id": str(leave.get("leave_type_id", "")),
        "start_date": str(leave.get("start_date", "")),
        "end_date": str(leave.get("end_date", "")),
        "start_part": str(leave.get("start_part") or "full"),
        "end_part": str(leave.get("end_part") or "full"),
        "reason": str(leave.get("reason") or ""),
    }
    if leave.get("unit") == "hours":
        values["hours"] = str(leave.get("amount", ""))
    return values


def freed_by(leave: dict[str, Any]) -> tuple[date, Decimal] | None:
    """What the request holds now, given back when its new dates are counted."""
    start = iso_date(leave.get("start_date"))
    held = decimal_of(leave.get("amount"))
    return (start, held) if start is not None and held is not None else None


def changes(values: dict[str, str], before: dict[str, str], shape: FormShape) -> dict[str, Any]:
    """The PATCH body: the fields typed, parts and hours as the form's shape asks; an
    emptied reason is cleared."""
    start = iso_date(values["start_date"])
    end = iso_date(values.get("end_date") or values["start_date"]) or start
    body: dict[str, Any] = {
        "start_date": values["start_date"],
        "end_date": end.isoformat() if end else values["start_date"],
    }
    if start is not None and end is not None and shape.parts:
        # Both parts always: left out, a half day the person made whole would stay half.
        parts = parts_of(values, Dates(start, end), shape)
        body["start_part"] = parts.get("start_part", "full")
        body["end_part"] = parts.get("end_part", "full")
    if shape.hours:
        body["hours"] = float(decimal_of(values.get("hours")) or 0)
    if values.get("reason") != before.get("reason"):
        body["reason"] = values["reason"] or None
    return body


def editable(leave: dict[str, Any], user: SignedIn) -> bool:
    """A pending request of mine (an admin's also someone else's): the API's rule for
    requesters; an admin's edit of approved leave stays on the API."""
    mine = leave.get("employee_id") == user.employee_id
    return leave.get("status") == "pending" and (mine or user.is_admin)


def _context(
    person: Me, user: SignedIn, leave: dict[str, Any], values: dict[str, str], preview: Preview
) -> dict[str, Any]:
    leave_type = next(
        (t for t in person.leave_types if t.get("id") == leave.get("leave_type_id")), None
    )
    return {
        "leave": leave,
        "leave_type": leave_type or {},
        "values": values,
        "shape": FormShape.of(leave_type),
        "preview": preview,
        "today": person.today.isoformat(),
        "may_record_past": user.is_admin,
    }


async def _leave(api: UserApi, request_id: str) -> tuple[dict[str, Any] | None, Any]:
    return await attempt(api.get("requests", f"/v1/leave-requests/{request_id}"))


@router.get("/requests/{request_id}/edit", response_class=HTMLResponse)
async def edit_page(request: Request, request_id: str, user: User, api: UserApi) -> Response:
    leave, problem = await _leave(api, request_id)
    if leave is None or not editable(leave, user):
        return render(
            request, "edit_request.html", 404 if leave is None else 409,
            closed=True, problem=problem,
        )  # fmt: skip
    person = await me(api, user)
    values = values_of(leave)
    shown = await build_preview(api, user, person, values, freed_by(leave))
    return render(request, "edit_request.html", **_context(person, user, leave, values, shown))


@router.get("/requests/{request_id}/edit/preview", response_class=HTMLResponse)
async def edit_preview(request: Request, request_id: str, user: User, api: UserApi) -> Response:
    """The preview of the new dates, the request's own amount given back first."""
    leave, _problem = await _leave(api, request_id)
    values = {
        **values_of(leave or {}),
        **form_fields(request.query_params, *EDIT_FIELDS),
    }
    person = await me(api, user)
    shown = await build_preview(api, user, person, values, freed_by(leave or {}))
    return render(request, "partials/preview.html", preview=shown)


@router.post("/requests/{request_id}/edit", response_class=HTMLResponse, dependencies=[Csrf])
async def save_edit(request: Request, request_id: str, user: User, api: UserApi) -> Response:
    leave, problem = await _leave(api, request_id)
    if leave is None or not editable(leave, user):
        return render(
            request, "edit_request.html", 404 if leave is None else 409,
            closed=True, problem=problem,
        )  # fmt: skip
    before = values_of(leave)
    values = {**before, **form_fields(await request.form(), *EDIT_FIELDS)}
    person = await me(api, user)
    dates, shape, message = _judge(person, user, values)
    errors: dict[str, str] = {}
    sentence = ""
    if message:
        errors = {dates.field or "start_date": message}
    else:
        saved, refused = await attempt(
            api.patch(
                "requests", f"/v1/leave-requests/{request_id}", changes(values, before, shape)
            )
        )
        if refused is None and saved is not None:
            response = render(
                request, "edit_request.html",
                **_context(person, user, saved, values_of(saved), Preview()),
                done=_("Changed. Your approvers decide it again, from the first level."),
            )  # fmt: skip
            response.headers["HX-Trigger"] = "lf-live"
            return response
        assert refused is not None
        errors, sentence = _submit_problem(refused)
    shown = await build_preview(api, user, person, values, freed_by(leave))
    return render(
        request, "edit_request.html", 422,
        **_context(person, user, leave, values, shown), errors=errors, sentence=sentence,
    )  # fmt: skip

"""My substitutes: the substitutions naming me (as the approver or as the substitute),
adding one for my dates and removing it; an admin sees the company's and may set one for
any approver (docs/api.md "/v1/substitutions": the requests service decides who may).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..api import Api, ApiError
from ..i18n import gettext as _
from ..session import Csrf, SignedIn, User
from .common import UserApi, attempt, by_id, form_fields, render

router = APIRouter()

_FIELDS = ("approver_id", "substitute_id", "start_date", "end_date")


def _today() -> date:
    return datetime.now(UTC).date()


def approver_people(employees: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """Who can be an approver or a substitute: approvers and admins still employed."""
    return sorted(
        (
            e
            for e in employees
            if e.get("role") in ("approver", "admin")
            and not (e.get("end_date") and str(e["end_date"]) < today.isoformat())
        ),
        key=lambda e: str(e.get("name", "")).casefold(),
    )


def grouped(items: list[dict[str, Any]], me: str, today: date) -> dict[str, list[dict[str, Any]]]:
    """Mine (I am away), where I substitute, and (for admins) everyone else's; each with
    whether it holds today or has ended."""
    groups: dict[str, list[dict[str, Any]]] = {"mine": [], "for_others": [], "company": []}
    for s in items:
        row = {
            **s,
            "holds": str(s["start_date"]) <= today.isoformat() <= str(s["end_date"]),
            "ended": str(s["end_date"]) < today.isoformat(),
        }
        if s.get("approver_id") == me:
            groups["mine"].append(row)
        elif s.get("substitute_id") == me:
            groups["for_others"].append(row)
        else:
            groups["company"].append(row)
    return groups


async def _page(
    request: Request,
    user: SignedIn,
    api: Api,
    status: int = 200,
    **extra: Any,
) -> Response:
    if not user.may_approve:
        return render(request, "substitutes.html", 403, forbidden=True, nav="substitutes")
    today = _today()
    listed, problem = await attempt(api.items("requests", "/v1/substitutions"))
    employees, people_problem = await attempt(api.items("requests", "/v1/employees"))
    choices = approver_people(employees or [], today)
    context: dict[str, Any] = {
        "groups": grouped(listed or [], user.employee_id, today),
        "people": by_id(employees),
        "choices": choices,
        "problem": problem or people_problem,
        "today": today.isoformat(),
        "values": {"approver_id": user.employee_id},
    }
    context.update(extra)
    return render(request, "substitutes.html", status, **context)


@router.get("/substitutes", response_class=HTMLResponse)
async def substitutes(request: Request, user: User, api: UserApi) -> Response:
    return await _page(request, user, api)


@router.post("/substitutes", response_class=HTMLResponse, dependencies=[Csrf])
async def add_substitute(request: Request, user: User, api: UserApi) -> Response:
    values = form_fields(await request.form(), *_FIELDS)
    if not user.is_admin or not values["approver_id"]:
        values["approver_id"] = user.employee_id
    try:
        await api.post("requests", "/v1/substitutions", values)
    except ApiError as exc:
        errors = exc.field_errors
        shown = set(errors) & set(_FIELDS)
        return await _page(
            request, user, api, 422 if exc.status < 500 else 502,
            values=values, errors=errors, form_problem=None if shown else exc,
        )  # fmt: skip
    return await _page(request, user, api, notice=_("Substitute set."))


@router.post(
    "/substitutes/{substitution_id}/remove", response_class=HTMLResponse, dependencies=[Csrf]
)
async def remove_substitute(
    request: Request, substitution_id: str, user: User, api: UserApi
) -> Response:
    _done, problem = await attempt(
        api.apis.call("DELETE", "requests", f"/v1/substitutions/{substitution_id}", token=api.token)
    )
    if problem is not None:
        return await _page(request, user, api, problem.status, form_problem=problem)
    return await _page(request, user, api, notice=_("Substitution removed."))

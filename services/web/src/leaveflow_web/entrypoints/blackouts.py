"""Blackout periods: days on which leave is refused (``block``) or let through with a
warning for the approvers (``warn``).

Everyone may read them, so they know before they ask; the page shows a person the ones
that concern them. Admins add and remove any; approvers the ones for the departments they
approve for (the requests API decides; the page offers only what it would allow).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from .. import wording
from ..api import Api
from ..i18n import gettext as _
from ..session import Csrf, SignedIn, User
from .common import UserApi, attempt, by_id, form_fields, render

router = APIRouter()

_FIELDS = ("name", "start_date", "end_date", "mode")
_LISTS = ("location_ids", "department_ids", "leave_type_ids")


def approves_for(user: SignedIn, department: dict[str, Any]) -> bool:
    """Whether the person decides at some approval level of the department."""
    if user.employee_id in department.get("approver_ids", []):
        return True
    levels = department.get("approval_levels") or []
    return any(user.employee_id in (level.get("approver_ids") or []) for level in levels)


def managed_departments(user: SignedIn, departments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The departments whose blackouts the person may set: all for an admin."""
    if user.is_admin:
        return departments
    if not user.may_approve:
        return []
    return [d for d in departments if approves_for(user, d)]


def may_remove(user: SignedIn, blackout: dict[str, Any], mine: set[str]) -> bool:
    """An admin any; an approver one limited to departments they approve for."""
    if user.is_admin:
        return True
    departments = set(blackout.get("department_ids") or [])
    return bool(departments) and departments <= mine


def concerns(blackout: dict[str, Any], employee: dict[str, Any]) -> bool:
    """Whether the blackout applies to the person (a list left out means everyone)."""
    locations = blackout.get("location_ids") or []
    departments = blackout.get("department_ids") or []
    if locations and employee.get("location_id") not in locations:
        return False
    return not departments or employee.get("department_id") in departments


@dataclass(frozen=True)
class Row:
    blackout: dict[str, Any]
    days: str
    mode: str
    scope: str
    removable: bool


def mode_words() -> dict[str, tuple[str, str]]:
    """Each mode's name and what it does to leave, in the page's language."""
    return {
        "block": (_("Blocked"), _("Leave touching these days is refused.")),
        "warn": (_("Warning"), _("Leave can be asked for; approvers see a warning.")),
    }


def scope_sentence(blackout: dict[str, Any], names: dict[str, dict[str, str]]) -> str:
    """Who and what it concerns, in words: "Everyone, every leave type" or the names."""
    parts = []
    for key, everyone in (
        ("location_ids", _("every location")),
        ("department_ids", _("every department")),
        ("leave_type_ids", _("every leave type")),
    ):
        ids = blackout.get(key) or []
        known = names[key]
        parts.append(", ".join(known.get(i, _("a removed one")) for i in ids) if ids else everyone)
    return "; ".join(parts)


def rows(
    blackouts: list[dict[str, Any]],
    user: SignedIn,
    employee: dict[str, Any],
    mine: set[str],
    names: dict[str, dict[str, str]],
) -> list[Row]:
    """The blackouts the person is shown: admins and approvers see every one (they plan
    around them), everyone else the ones that concern them."""
    shown = blackouts if user.may_approve else [b for b in blackouts if concerns(b, employee)]
    return [
        Row(
            blackout=b,
            days=wording.date_range(b.get("start_date"), b.get("end_date")),
            mode="warn" if b.get("mode") == "warn" else "block",
            scope=scope_sentence(b, names),
            removable=may_remove(user, b, mine),
        )
        for b in shown
    ]


def blackout_body(form: Any, fields: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {k: fields[k] for k in _FIELDS if fields[k]}
    body.setdefault("mode", "block")
    for key in _LISTS:
        chosen = [str(v) for v in form.getlist(key) if str(v)]
        if chosen:
            body[key] = list(dict.fromkeys(chosen))
    return body


def _names(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {i: str(item.get("name", "")) for i, item in by_id(items).items()}


async def _page(
    request: Request, api: Api, user: SignedIn, status: int = 200, **extra: Any
) -> Response:
    (
        (found, problem),
        (employee, _e),
        (locations, _l),
        (departments, _d),
        (types, _t),
    ) = await asyncio.gather(
        attempt(api.get("requests", "/v1/blackouts")),
        attempt(api.get("requests", f"/v1/employees/{user.employee_id}")),
        attempt(api.items("requests", "/v1/locations")),
        attempt(api.items("requests", "/v1/departments")),
        attempt(api.get("requests", "/v1/leave-types")),
    )
    type_items = list((types or {}).get("items", []))
    active_departments = [d for d in departments or [] if d.get("active", True)]
    managed = managed_departments(user, active_departments)
    names = {
        "location_ids": _names(locations),
        "department_ids": _names(departments),
        "leave_type_ids": _names(type_items),
    }
    items = list((found or {}).get("items", []))
    extra.setdefault("values", {"mode": "block"})
    return render(
        request,
        "blackouts.html",
        status,
        nav="blackouts",
        mode_words=mode_words(),
        rows=rows(items, user, employee or {}, {str(d["id"]) for d in managed}, names),
        list_problem=problem,
        may_add=bool(managed),
        locations=[loc for loc in locations or [] if loc.get("active", True)],
        departments=managed,
        leave_types=[t for t in type_items if t.get("active", True)],
        **extra,
    )


@router.get("/blackouts", response_class=HTMLResponse)
async def blackouts_page(request: Request, user: User, api: UserApi) -> Response:
    return await _page(request, api, user)


@router.post("/blackouts", response_class=HTMLResponse, dependencies=[Csrf])
async def add_blackout(request: Request, user: User, api: UserApi) -> Response:
    form = await request.form()
    fields = form_fields(form, *_FIELDS)
    body = blackout_body(form, fields)
    created, problem = await attempt(api.post("requests", "/v1/blackouts", body))
    if problem is not None:
        errors = problem.field_errors
        if problem.status == 403:
            errors["department_ids"] = _(
                "You can set blackouts only for the departments you approve for: pick one "
                "or more of them."
            )
        shown = set(errors) & {*_FIELDS, *_LISTS}
        values: dict[str, Any] = {**fields, **{k: form.getlist(k) for k in _LISTS}}
        return await _page(
            request, api, user, 422 if problem.status < 500 else 502,
            values=values, errors=errors, problem=None if shown else problem,
        )  # fmt: skip
    name = (created or {}).get("name", fields["name"])
    return await _page(request, api, user, notice=_("Blackout %(name)s added.", name=name))


@router.post("/blackouts/{blackout_id}/remove", response_class=HTMLResponse, dependencies=[Csrf])
async def remove_blackout(request: Request, blackout_id: str, user: User, api: UserApi) -> Response:
    name = form_fields(await request.form(), "name")["name"]
    _done, problem = await attempt(
        api.apis.call("DELETE", "requests", f"/v1/blackouts/{blackout_id}", token=api.token)
    )
    if problem is not None:
        return await _page(request, api, user, 422 if problem.status < 500 else 502,
                           problem=problem)  # fmt: skip
    notice = _("Blackout %(name)s removed: leave can be asked for again.", name=name)
    return await _page(request, api, user, notice=notice)

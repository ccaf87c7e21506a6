"""Approvals: pending requests of the departments I approve for, with Approve / Deny.

The requests service decides who may approve; this page only lists the departments that
name me as an approver at any level (all of them for an admin), plus the requests I decide
as a substitute in a group of their own, and refuses to open any other department. Each
request shows the level I decide, who decided the earlier ones, and the levels to come;
its buttons send that level, so a page left open cannot decide a level that has passed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from .. import approval_wording as aw
from ..api import Api, ApiError
from ..i18n import gettext as _
from ..session import Csrf, SignedIn, User
from .common import UserApi, attempt, by_id, form_fields, render

router = APIRouter()


def approvers_of(department: dict[str, Any]) -> set[str]:
    """Everyone who approves at some level of the department."""
    levels = department.get("approval_levels") or [{"approver_ids": department.get("approver_ids")}]
    return {str(a) for level in levels for a in level.get("approver_ids") or []}


def my_departments(user: SignedIn, departments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if user.is_admin:
        return departments
    return [d for d in departments if user.employee_id in approvers_of(d)]


def overlaps(request: dict[str, Any], others: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Teammates' pending or approved leave that shares a day with ``request``."""
    return [
        other
        for other in others
        if other["id"] != request["id"]
        and other.get("status") in ("pending", "approved")
        and other["start_date"] <= request["end_date"]
        and other["end_date"] >= request["start_date"]
    ]


async def _balance_after(api: Api, request: dict[str, Any]) -> float | None:
    """What the employee would have left of this leave type once the request is approved."""
    # In the request's own leave year: January leave is judged against January's balance.
    balances, _ignored = await attempt(
        api.get(
            "balances",
            f"/v1/balances/{request['employee_id']}",
            as_of=request.get("start_date"),
        )
    )
    for line in (balances or {}).get("balances", []):
        if line.get("leave_type_id") == request["leave_type_id"]:
            return float(line["remaining"]) - float(request["amount"])
    return None


async def _row(api: Api, department: dict[str, Any], leave: dict[str, Any]) -> dict[str, Any]:
    others, _ignored = await attempt(
        api.items(
            "requests",
            "/v1/leave-requests",
            department_id=department["id"],
            **{"from": leave["start_date"], "to": leave["end_date"]},
        )
    )
    return {
        "request": leave,
        "overlaps": overlaps(leave, others or []),
        "balance_after": await _balance_after(api, leave),
        "level": (leave.get("approval") or {}).get("current_level"),
    }


async def _pending(
    api: Api, department: dict[str, Any]
) -> tuple[list[dict[str, Any]], ApiError | None]:
    pending, problem = await attempt(
        api.items(
            "requests", "/v1/leave-requests", status="pending", department_id=department["id"]
        )
    )
    return pending or [], problem


def _words(row: dict[str, Any], people: dict[str, Any]) -> dict[str, Any]:
    leave = row["request"]
    return {
        **row,
        "level_of_levels": aw.level_of_levels(leave),
        "decided": aw.decided_levels(leave, people),
        "to_come": aw.levels_to_come(leave, people),
        "warnings": [aw.warning_sentence(str(w)) for w in leave.get("warnings") or []],
    }


async def _queues(
    request: Request, user: SignedIn, api: Api, department_id: str
) -> tuple[dict[str, Any], int]:
    departments, problem = await attempt(api.items("requests", "/v1/departments"))
    substitutions, _ignored = await attempt(api.items("requests", "/v1/substitutions"))
    # The API judges a substitution in the approver's location's date; a day's difference
    # at midnight only moves a request between two groups of this page.
    holding = aw.holding_for(substitutions or [], user.employee_id, datetime.now(UTC).date())
    mine = my_departments(user, departments or [])
    covered = [d for d in departments or [] if d not in mine and approvers_of(d) & set(holding)]
    if department_id:
        mine = [d for d in mine if d["id"] == department_id]
        covered = [d for d in covered if d["id"] == department_id]
        if not mine and not covered and problem is None:
            return {"forbidden": True}, 403
    listed = [*mine, *covered]
    found = await asyncio.gather(*(_pending(api, d) for d in listed))
    employees, _ignored = await attempt(api.items("requests", "/v1/employees"))
    people = by_id(employees)
    queues: list[dict[str, Any]] = []
    standing_in: dict[str, list[dict[str, Any]]] = {a: [] for a in holding}
    for department, (pending, pending_problem) in zip(listed, found, strict=True):
        rows = []
        for leave in pending:
            where = aw.position(leave, user.employee_id, user.is_admin, holding)
            if where.kind == aw.ELSEWHERE:
                continue
            row = {**await _row(api, department, leave), "decides": where.kind != aw.LATER}
            if where.kind == aw.SUBSTITUTE:
                standing_in[where.approver_id].append(_words(row, people))
            elif department in mine:
                rows.append(_words(row, people))
        if department in mine:
            queues.append({"department": department, "rows": rows, "problem": pending_problem})
    substitute_groups = [
        {
            "approver_id": approver,
            "heading": aw.substitute_heading(approver, holding[approver], people),
            "rows": rows,
        }
        for approver, rows in standing_in.items()
    ]
    types, _ignored = await attempt(api.get("requests", "/v1/leave-types"))
    return {
        "queues": queues,
        "substitute_groups": substitute_groups,
        "problem": problem,
        "people": people,
        "types_by_id": by_id((types or {}).get("items", [])),
        "department_id": department_id,
    }, 200


@router.get("/approvals", response_class=HTMLResponse)
async def approvals(
    request: Request, user: User, api: UserApi, department_id: str = ""
) -> Response:
    context, status = await _queues(request, user, api, department_id)
    return render(request, "approvals.html", status, **context)


@router.get("/partials/approvals", response_class=HTMLResponse)
async def approvals_partial(
    request: Request, user: User, api: UserApi, department_id: str = ""
) -> Response:
    context, status = await _queues(request, user, api, department_id)
    return render(request, "partials/approval_queues.html", status, **context)


async def _passed(api: Api, request_id: str, level: int) -> bool:
    """Whether the level the page showed is no longer the request's current one."""
    now, _ignored = await attempt(api.get("requests", f"/v1/leave-requests/{request_id}"))
    if now is None:
        return False
    current = (now.get("approval") or {}).get("current_level")
    return now.get("status") != "pending" or current != level


@router.post("/approvals/{request_id}/{decision}", response_class=HTMLResponse, dependencies=[Csrf])
async def decide(request: Request, request_id: str, decision: str, api: UserApi) -> Response:
    """Approve (note optional) or deny (note required) one request."""
    if decision not in ("approve", "deny"):
        return render(request, "partials/notice.html", 404, message=_("Unknown decision."))
    fields = form_fields(await request.form(), "note", "level")
    note = fields["note"]
    if decision == "deny" and not note:
        return render(
            request, "partials/notice.html", 422, message=_("Say why: a note is required to deny.")
        )
    body: dict[str, Any] = {"note": note} if note else {}
    if fields["level"].isdigit():
        body["level"] = int(fields["level"])
    decided, problem = await attempt(
        api.post("requests", f"/v1/leave-requests/{request_id}/{decision}", body)
    )
    if (
        problem
        and problem.status in (403, 409)
        and "level" in body
        and await _passed(api, request_id, body["level"])
    ):
        # A decider of a passed level is no longer one of the current level (the API's
        # 403), or the level moved on (409). No refresh here: it would take the card, and
        # this sentence with it, away.
        message = _(
            "Someone decided this level while the page was open. Reload the page to see "
            "where the request stands."
        )
        return render(request, "partials/notice.html", 409, message=message)
    if problem:
        return render(request, "partials/notice.html", problem.status, problem=problem)
    moved_on = decided and decided.get("status") == "pending"
    response = render(
        request,
        "partials/notice.html",
        message=(
            _("Level approved: the request goes on to the next level.")
            if moved_on and decision == "approve"
            else _("Approved.")
            if decision == "approve"
            else _("Denied.")
        ),
        decided=decided,
    )
    response.headers["HX-Trigger"] = "lf-live"
    return response

"""Approvals: pending requests of the departments I approve for, with Approve / Deny.

The requests service decides who may approve; this page only lists the departments that
name me as an approver (all of them for an admin) and refuses to open any other.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..api import Api
from ..i18n import gettext as _
from ..session import Csrf, SignedIn, User
from .common import UserApi, attempt, by_id, form_fields, render

router = APIRouter()


def my_departments(user: SignedIn, departments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if user.is_admin:
        return departments
    return [d for d in departments if user.employee_id in d.get("approver_ids", [])]


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


async def _department_queue(api: Api, department: dict[str, Any]) -> dict[str, Any]:
    pending, problem = await attempt(
        api.items(
            "requests", "/v1/leave-requests", status="pending", department_id=department["id"]
        )
    )
    rows = []
    for leave in pending or []:
        others, _ignored = await attempt(
            api.items(
                "requests",
                "/v1/leave-requests",
                department_id=department["id"],
                **{"from": leave["start_date"], "to": leave["end_date"]},
            )
        )
        rows.append(
            {
                "request": leave,
                "overlaps": overlaps(leave, others or []),
                "balance_after": await _balance_after(api, leave),
            }
        )
    return {"department": department, "rows": rows, "problem": problem}


async def _queues(
    request: Request, user: SignedIn, api: Api, department_id: str
) -> tuple[dict[str, Any], int]:
    departments, problem = await attempt(api.items("requests", "/v1/departments"))
    mine = my_departments(user, departments or [])
    if department_id:
        mine = [d for d in mine if d["id"] == department_id]
        if not mine and problem is None:
            return {"forbidden": True}, 403
    queues = await asyncio.gather(*(_department_queue(api, d) for d in mine))
    employees, _ignored = await attempt(api.items("requests", "/v1/employees"))
    types, _ignored = await attempt(api.get("requests", "/v1/leave-types"))
    return {
        "queues": queues,
        "problem": problem,
        "people": by_id(employees),
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


@router.post("/approvals/{request_id}/{decision}", response_class=HTMLResponse, dependencies=[Csrf])
async def decide(request: Request, request_id: str, decision: str, api: UserApi) -> Response:
    """Approve (note optional) or deny (note required) one request."""
    if decision not in ("approve", "deny"):
        return render(request, "partials/notice.html", 404, message=_("Unknown decision."))
    note = form_fields(await request.form(), "note")["note"]
    if decision == "deny" and not note:
        return render(
            request, "partials/notice.html", 422, message=_("Say why: a note is required to deny.")
        )
    body = {"note": note} if note else {}
    decided, problem = await attempt(
        api.post("requests", f"/v1/leave-requests/{request_id}/{decision}", body)
    )
    if problem:
        return render(request, "partials/notice.html", problem.status, problem=problem)
    response = render(
        request,
        "partials/notice.html",
        message=_("Approved.") if decision == "approve" else _("Denied."),
        decided=decided,
    )
    response.headers["HX-Trigger"] = "lf-live"
    return response

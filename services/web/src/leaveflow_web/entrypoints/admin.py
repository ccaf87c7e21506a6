"""Admin: locations, departments, leave types, policies, employees (CSV import),
integrations (secrets write-only), adjustments and the deliveries log.

Every write goes to the owning service's API with the admin's token; its answer (or its
error, next to the fields) is shown on the same page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from ..api import Api, ApiError
from ..session import Csrf, SignedIn, User
from .admin_forms import (
    WEEKDAYS,
    employee_body,
    given_fields,
    leave_type_body,
    location_body,
    policy_body,
)
from .common import UserApi, attempt, by_id, form_fields, render

router = APIRouter(prefix="/admin")

SECTIONS = (
    ("locations", "Locations"),
    ("departments", "Departments"),
    ("leave-types", "Leave types"),
    ("policies", "Policies"),
    ("employees", "Employees"),
    ("integrations", "Integrations"),
    ("adjustments", "Adjustments"),
    ("deliveries", "Deliveries"),
)


# POST /v1/invites takes at most this many people at once.
INVITES_MAX = 1000

# Why the requests service skipped someone, in words.
SKIP_REASONS = {"unknown": "not in the directory", "left": "has left", "deleted": "was deleted"}


def invited_by_employee(invites: Any) -> dict[str, str]:
    """Employee id -> when they were last invited (``GET /v1/invites``)."""
    items = invites.get("items", []) if isinstance(invites, dict) else []
    return {
        str(i["employee_id"]): str(i.get("invited_at") or "") for i in items if "employee_id" in i
    }


def emails_in_csv(text: bytes) -> set[str]:
    rows = csv.DictReader(io.StringIO(text.decode("utf-8-sig", errors="replace")))
    return {(row.get("email") or "").strip().lower() for row in rows} - {""}


def invite_notice(answer: Any) -> str:
    invited = len(answer.get("invited", [])) if isinstance(answer, dict) else 0
    skipped = answer.get("skipped", []) if isinstance(answer, dict) else []
    people = "1 person" if invited == 1 else f"{invited} people"
    notice = f"Invites sent to {people}: each gets an email with a link to sign in."
    if skipped:
        notice += (
            f" {len(skipped)} not invited ("
            + ", ".join(
                SKIP_REASONS.get(str(s.get("reason")), str(s.get("reason"))) for s in skipped[:5]
            )
            + ")."
        )
    return notice


class NotAdmin(Exception):
    """Admin pages answer 403 to everyone else (the APIs refuse their writes anyway)."""


def _admin(user: SignedIn) -> None:
    if not user.is_admin:
        raise NotAdmin


async def _directory(api: Api) -> dict[str, Any]:
    locations, locations_error = await attempt(api.items("requests", "/v1/locations"))
    departments, departments_error = await attempt(api.items("requests", "/v1/departments"))
    types, types_error = await attempt(api.get("requests", "/v1/leave-types"))
    employees, employees_error = await attempt(api.items("requests", "/v1/employees"))
    return {
        "locations": locations or [],
        "departments": departments or [],
        "leave_types": (types or {}).get("items", []),
        "employees": employees or [],
        "people": by_id(employees),
        "directory_error": locations_error or departments_error or types_error or employees_error,
    }


async def _page(
    request: Request, api: Api, section: str, status: int = 200, **extra: Any
) -> Response:
    context = await _directory(api)
    if section == "policies":
        context["policies"], context["policies_error"] = await attempt(
            api.get("balances", "/v1/policies")
        )
    elif section == "integrations":
        context["integrations"], context["integrations_error"] = await attempt(
            api.get("notifications", "/v1/integrations")
        )
    elif section == "employees":
        invites, context["invites_error"] = await attempt(api.get("requests", "/v1/invites"))
        context["invited"] = invited_by_employee(invites)
    elif section == "deliveries":
        context["deliveries"], context["deliveries_error"] = await attempt(
            api.get("notifications", "/v1/deliveries")
        )
    context.update(extra)
    context.setdefault("values", {})
    return render(
        request,
        f"admin/{section.replace('-', '_')}.html",
        status,
        section=section,
        sections=SECTIONS,
        weekdays=WEEKDAYS,
        **context,
    )


async def _write(
    request: Request,
    api: Api,
    section: str,
    values: dict[str, str],
    call: Callable[[], Awaitable[Any]],
    done: str,
) -> Response:
    """Do one write; back to the section with a notice, or the form again with the errors."""
    try:
        result = await call()
    except ApiError as exc:
        return await _page(
            request, api, section, 422 if exc.status < 500 else 502,
            values=values, errors=exc.field_errors, problem=exc,
        )  # fmt: skip
    return await _page(request, api, section, notice=done, result=result)


@router.get("", response_class=HTMLResponse)
async def overview(request: Request, user: User, api: UserApi) -> Response:
    _admin(user)
    return render(
        request, "admin/overview.html", sections=SECTIONS, section="", **await _directory(api)
    )


@router.get("/{section}", response_class=HTMLResponse)
async def section_page(request: Request, section: str, user: User, api: UserApi) -> Response:
    _admin(user)
    if section not in dict(SECTIONS):
        return RedirectResponse("/admin", status_code=303)
    return await _page(request, api, section)


@router.get("/locations/{location_id}/holidays", response_class=HTMLResponse)
async def holidays(
    request: Request, location_id: str, user: User, api: UserApi, year: int | None = None
) -> Response:
    """The public and company holidays a location gets in a year (a preview)."""
    _admin(user)
    listed, problem = await attempt(
        api.get("requests", f"/v1/locations/{location_id}/holidays", year=year)
    )
    return render(request, "partials/holidays.html", listed=listed, problem=problem)


@router.post("/locations", response_class=HTMLResponse, dependencies=[Csrf])
async def add_location(request: Request, user: User, api: UserApi) -> Response:
    _admin(user)
    form = await request.form()
    values = form_fields(form, "name", "timezone", "country", "subdivision")
    body = location_body(form, values)
    return await _write(
        request, api, "locations", values,
        lambda: api.post("requests", "/v1/locations", body), f"Location {values['name']} added.",
    )  # fmt: skip


@router.post("/departments", response_class=HTMLResponse, dependencies=[Csrf])
async def add_department(request: Request, user: User, api: UserApi) -> Response:
    _admin(user)
    form = await request.form()
    values = form_fields(form, "name")
    body = {"name": values["name"], "approver_ids": [str(a) for a in form.getlist("approver_ids")]}
    return await _write(
        request, api, "departments", values,
        lambda: api.post("requests", "/v1/departments", body),
        f"Department {values['name']} added.",
    )  # fmt: skip


@router.post("/departments/{department_id}", response_class=HTMLResponse, dependencies=[Csrf])
async def set_approvers(request: Request, department_id: str, user: User, api: UserApi) -> Response:
    _admin(user)
    form = await request.form()
    body = {"approver_ids": [str(a) for a in form.getlist("approver_ids")]}
    return await _write(
        request, api, "departments", {},
        lambda: api.patch("requests", f"/v1/departments/{department_id}", body),
        "Approvers saved.",
    )  # fmt: skip


@router.post("/leave-types", response_class=HTMLResponse, dependencies=[Csrf])
async def add_leave_type(request: Request, user: User, api: UserApi) -> Response:
    _admin(user)
    form = await request.form()
    values = form_fields(form, "name", "unit", "color")
    body = leave_type_body(form, values)
    return await _write(
        request, api, "leave-types", values,
        lambda: api.post("requests", "/v1/leave-types", body),
        f"Leave type {values['name']} added.",
    )  # fmt: skip


@router.post("/policies", response_class=HTMLResponse, dependencies=[Csrf])
async def set_policy(request: Request, user: User, api: UserApi) -> Response:
    _admin(user)
    form = await request.form()
    values = form_fields(
        form, "location_id", "leave_type_id", "annual_allowance", "accrual",
        "carryover_max", "carryover_expiry_months", "negative_allowance",
    )  # fmt: skip
    body = policy_body(form, values)
    path = f"/v1/policies/{values['location_id']}/{values['leave_type_id']}"
    return await _write(
        request, api, "policies", values, lambda: api.put("balances", path, body), "Policy saved."
    )


@router.post("/employees", response_class=HTMLResponse, dependencies=[Csrf])
async def add_employee(request: Request, user: User, api: UserApi) -> Response:
    _admin(user)
    values = form_fields(
        await request.form(), "name", "email", "role", "location_id", "department_id", "start_date"
    )
    return await _write(
        request, api, "employees", values,
        lambda: api.post("requests", "/v1/employees", employee_body(values)),
        f"{values['name']} added.",
    )  # fmt: skip


@router.post("/employees/import", response_class=HTMLResponse, dependencies=[Csrf])
async def import_employees(request: Request, user: User, api: UserApi) -> Response:
    """CSV import, all or nothing; every bad line is listed with its number."""
    _admin(user)
    form = await request.form()
    upload = form.get("file")
    text = await upload.read() if isinstance(upload, UploadFile) else b""
    if not text:
        text = form_fields(form, "csv")["csv"].encode()
    report, problem = await attempt(api.post_csv("requests", "/v1/employees/import", text))
    status = 200 if problem is None and not (report or {}).get("errors") else 422
    if status != 200:
        return await _page(request, api, "employees", status, report=report, problem=problem)
    # The people of the file, found again by email in the directory, for "Send invites".
    emails = emails_in_csv(text)
    page = await _directory(api)
    imported = [
        str(e["id"]) for e in page["employees"] if str(e.get("email", "")).lower() in emails
    ]
    return await _page(request, api, "employees", report=report, imported_ids=imported)


@router.post("/employees/invite", response_class=HTMLResponse, dependencies=[Csrf])
async def invite_employees(request: Request, user: User, api: UserApi) -> Response:
    """Email people a link to sign in: the ones chosen, or everyone not invited yet."""
    _admin(user)
    form = await request.form()
    chosen = [str(i) for i in form.getlist("employee_ids") if str(i)]
    if form.get("everyone") == "not_invited":
        people, _ = await attempt(api.items("requests", "/v1/employees"))
        invites, _ = await attempt(api.get("requests", "/v1/invites"))
        invited = invited_by_employee(invites)
        chosen = [str(e["id"]) for e in people or [] if str(e["id"]) not in invited]
    if not chosen:
        return await _page(request, api, "employees", notice="Everyone has been invited already.")
    answer, problem = await attempt(
        api.post("requests", "/v1/invites", {"employee_ids": chosen[:INVITES_MAX]})
    )
    if problem is not None:
        return await _page(request, api, "employees", 502 if problem.status >= 500 else 422,
                           problem=problem)  # fmt: skip
    return await _page(request, api, "employees", notice=invite_notice(answer))


_INTEGRATIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "slack": (("team_id", "bot_token", "webhook_url", "signing_secret", "channel"), ()),
    "teams": (("aad_tenant_id", "webhook_url", "outgoing_webhook_secret"), ()),
    "email": (
        ("smtp_host", "smtp_port", "from", "username", "password", "starttls"),
        ("smtp_port",),
    ),
}


@router.post("/integrations/{kind}", response_class=HTMLResponse, dependencies=[Csrf])
async def set_integration(request: Request, kind: str, user: User, api: UserApi) -> Response:
    _admin(user)
    if kind not in _INTEGRATIONS:
        return RedirectResponse("/admin/integrations", status_code=303)
    names, numeric = _INTEGRATIONS[kind]
    form = await request.form()
    body = given_fields(form_fields(form, *names), numeric)
    if kind == "email":
        body["starttls"] = form.get("starttls") == "on"
    return await _write(
        request, api, "integrations", {},
        lambda: api.put("notifications", f"/v1/integrations/{kind}", body),
        f"{kind.capitalize()} integration saved.",
    )  # fmt: skip


@router.post("/adjustments", response_class=HTMLResponse, dependencies=[Csrf])
async def add_adjustment(request: Request, user: User, api: UserApi) -> Response:
    _admin(user)
    values = form_fields(
        await request.form(), "employee_id", "leave_type_id", "amount", "reason", "effective_date"
    )
    body = given_fields(values, ("amount",))
    return await _write(
        request, api, "adjustments", values,
        lambda: api.post("balances", "/v1/adjustments", body), "Adjustment recorded.",
    )  # fmt: skip

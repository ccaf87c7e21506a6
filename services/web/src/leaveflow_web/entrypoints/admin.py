"""Admin: locations, departments, leave types, policies, employees (CSV import, editing,
offboarding), integrations (secrets write-only), calendar feeds, adjustments and the
deliveries log.

Every write goes to the owning service's API with the admin's token; its answer (or its
error, next to the field it is about) is shown on the same page, with what was typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from .. import wording
from ..api import Api, ApiError, Service
from ..i18n import N_, ngettext
from ..i18n import gettext as _
from ..session import Csrf, SignedIn, User
from . import admin_choices, admin_labels, admin_levels, admin_policy_rules, admin_views
from .admin_forms import (
    checked,
    department_body,
    employee_body,
    employee_changes,
    given_fields,
    leave_type_body,
    leave_type_changes,
    location_body,
    location_values,
    policy_body,
    policy_values,
)
from .common import UserApi, attempt, by_id, form_fields, render

router = APIRouter(prefix="/admin")

SECTIONS = (
    ("locations", N_("Locations")),
    ("departments", N_("Departments")),
    ("leave-types", N_("Leave types")),
    ("policies", N_("Policies")),
    ("employees", N_("Employees")),
    ("integrations", N_("Integrations")),
    ("feeds", N_("Calendar feeds")),
    ("adjustments", N_("Adjustments")),
    ("deliveries", N_("Deliveries")),
)

# What each section's records are called in a sentence.
KINDS = {
    "locations": N_("location"),
    "departments": N_("department"),
    "leave-types": N_("leave type"),
}

# POST /v1/invites takes at most this many people at once.
INVITES_MAX = 1000

# Why the requests service skipped someone, in words.
SKIP_REASONS = {
    "unknown": N_("not in the directory"),
    "left": N_("has left"),
    "deleted": N_("was deleted"),
}

NEW = "new"  # the `editing` of the add form (records are edited by their id)


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
    people = ngettext("%(num)s person", "%(num)s people", invited)
    notice = _(
        "Invites sent to %(people)s: each gets an email with a link to sign in.", people=people
    )
    if skipped:
        notice += " " + _(
            "%(count)s not invited (%(reasons)s).",
            count=len(skipped),
            reasons=", ".join(
                _(SKIP_REASONS[str(s.get("reason"))])
                if str(s.get("reason")) in SKIP_REASONS
                else str(s.get("reason"))
                for s in skipped[:5]
            ),
        )
    return notice


def field_errors(problem: ApiError, section: str, values: dict[str, Any]) -> dict[str, str]:
    """The problem's messages by field; a taken name or email, or the last admin, as a
    sentence at the field it is about."""
    errors = problem.field_errors
    if problem.type.endswith("/duplicate-email"):
        errors["email"] = _("Someone in the company already has this email.")
    elif problem.type.endswith("/last-admin"):
        errors["role"] = _(
            "This is the company's only admin: make someone else Admin first, then change this."
        )
    elif problem.type.endswith("/duplicate-name"):
        what = _(KINDS.get(section, N_("record")))
        name = values.get("name", "")
        errors["name"] = _(
            "There is already a %(what)s called “%(name)s”. Choose another name, or edit the "
            "existing %(what)s.",
            what=what,
            name=name,
        )
    return errors


class NotAdmin(Exception):
    """Admin pages answer 403 to everyone else (the APIs refuse their writes anyway)."""


def _admin(user: SignedIn) -> None:
    if not user.is_admin:
        raise NotAdmin


def _today() -> date:
    return datetime.now(UTC).date()


async def _delete(api: Api, service: Service, path: str) -> Any:
    return await api.apis.call("DELETE", service, path, token=api.token)


async def _directory(api: Api) -> dict[str, Any]:
    locations, locations_error = await attempt(api.items("requests", "/v1/locations"))
    departments, departments_error = await attempt(api.items("requests", "/v1/departments"))
    types, types_error = await attempt(api.get("requests", "/v1/leave-types"))
    employees, employees_error = await attempt(api.items("requests", "/v1/employees"))
    return {
        "locations": locations or [],
        "departments": [d for d in departments or [] if d.get("active", True)],
        "leave_types": (types or {}).get("items", []),
        "employees": employees or [],
        "people": by_id(employees),
        "directory_error": locations_error or departments_error or types_error or employees_error,
    }


async def _page(
    request: Request, api: Api, section: str, status: int = 200, **extra: Any
) -> Response:
    context = await _directory(api)
    today = _today()
    if section == "policies":
        context["policies"], context["policies_error"] = await attempt(
            api.get("balances", "/v1/policies")
        )
        context["rules_summary"] = admin_policy_rules.rules_summary
    elif section == "departments":
        context["approvers"] = admin_views.approver_choices(context["employees"], today)
        typed = extra.pop("typed_levels", {})
        context["levels_of"] = admin_levels.preview_context(request.query_params, context, typed)
        context["max_levels"] = admin_levels.MAX_LEVELS
    elif section == "integrations":
        context["integrations"], context["integrations_error"] = await attempt(
            api.get("notifications", "/v1/integrations")
        )
        # "Add to Slack": a fresh install link, none when this Leaveflow has no Slack app.
        link, _no_app = await attempt(api.get("notifications", "/v1/integrations/slack/install"))
        context["slack_install_url"] = (link or {}).get("url")
        context["slack_installed"] = request.query_params.get("slack") == "installed"
    elif section == "employees":
        invites, context["invites_error"] = await attempt(api.get("requests", "/v1/invites"))
        context["invited"] = invited_by_employee(invites)
        query = str(request.query_params.get("q", ""))[:200]
        page = request.query_params.get("page", "1")
        context["listing"] = admin_views.search_people(
            context["employees"], query, int(page) if page.isdigit() else 1
        )
    elif section == "feeds":
        feeds, context["feeds_error"] = await attempt(api.items("calendar", "/v1/feeds"))
        context["feeds"] = admin_views.feed_rows(feeds or [], context)
    elif section == "deliveries":
        deliveries, context["deliveries_error"] = await attempt(
            api.get("notifications", "/v1/deliveries")
        )
        items = (deliveries or {}).get("items", []) if isinstance(deliveries, dict) else []
        context["deliveries"] = admin_views.delivery_rows(items, context["people"])
    context.update(extra)
    context.setdefault("values", {})
    context.setdefault("editing", "")
    return render(
        request,
        f"admin/{section.replace('-', '_')}.html",
        status,
        section=section,
        sections=SECTIONS,
        weekdays=wording.iso_weekdays(),
        today=today.isoformat(),
        timezones=admin_choices.timezones(),
        countries=admin_choices.countries(),
        subdivisions=admin_choices.subdivisions,
        country_name=admin_choices.country_name,
        roles=admin_choices.role_words(),
        role_name=admin_choices.role_name,
        day_words=admin_views.day_words,
        **context,
    )


async def _write(
    request: Request,
    api: Api,
    section: str,
    values: dict[str, Any],
    call: Callable[[], Awaitable[Any]],
    done: str,
    editing: str = NEW,
) -> Response:
    """Do one write; back to the section with a notice, or the same form again with what
    was typed and each error next to its field (the banner only for the rest)."""
    try:
        result = await call()
    except ApiError as exc:
        errors = field_errors(exc, section, values)
        if section == "policies":
            errors |= admin_policy_rules.rule_errors(exc)
        shown = {k for k in errors if k in values or k in ("workweek", "approver_ids")}
        return await _page(
            request, api, section, 422 if exc.status < 500 else 502,
            values=values, errors=errors, editing=editing,
            problem=None if shown else exc,
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


# --- locations -------------------------------------------------------------------------


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


@router.get("/locations/regions", response_class=HTMLResponse)
async def regions(request: Request, user: User, country: str = "", prefix: str = "new") -> Response:
    """The region picker for the country just chosen (HTMX swaps it in)."""
    _admin(user)
    return render(
        request,
        "admin/regions.html",
        options=admin_choices.subdivisions(country[:10]) if country else (),
        prefix=prefix[:40],
        chosen="",
    )


_LOCATION_FIELDS = ("name", "timezone", "country", "subdivision")


@router.post("/locations", response_class=HTMLResponse, dependencies=[Csrf])
async def add_location(request: Request, user: User, api: UserApi) -> Response:
    _admin(user)
    form = await request.form()
    values = location_values(form, form_fields(form, *_LOCATION_FIELDS))
    body = location_body(form, values)
    return await _write(
        request, api, "locations", values,
        lambda: api.post("requests", "/v1/locations", body), _("Location %(name)s "
        "added.", name=values['name']),
    )  # fmt: skip


@router.post("/locations/{location_id}", response_class=HTMLResponse, dependencies=[Csrf])
async def edit_location(request: Request, location_id: str, user: User, api: UserApi) -> Response:
    _admin(user)
    form = await request.form()
    values = location_values(form, form_fields(form, *_LOCATION_FIELDS))
    body = location_body(form, values, clear_holidays=True)
    return await _write(
        request, api, "locations", values,
        lambda: api.patch("requests", f"/v1/locations/{location_id}", body),
        _("Location %(name)s saved.", name=values['name']), editing=location_id,
    )  # fmt: skip


@router.post(
    "/locations/{location_id}/deactivate", response_class=HTMLResponse, dependencies=[Csrf]
)
async def deactivate_location(
    request: Request, location_id: str, user: User, api: UserApi
) -> Response:
    _admin(user)
    name = form_fields(await request.form(), "name")["name"]
    return await _write(
        request, api, "locations", {},
        lambda: _delete(api, "requests", f"/v1/locations/{location_id}"),
        _("Location %(name)s deactivated: it is no longer offered, its history stays.", name=name),
    )  # fmt: skip


# --- departments -----------------------------------------------------------------------


@router.post("/departments", response_class=HTMLResponse, dependencies=[Csrf])
async def add_department(request: Request, user: User, api: UserApi) -> Response:
    _admin(user)
    form = await request.form()
    values = form_fields(form, "name")
    body = department_body(form, values)
    values["approver_ids"] = ",".join(body["approver_ids"])
    return await _write(
        request, api, "departments", values,
        lambda: api.post("requests", "/v1/departments", body),
        _("Department %(name)s added.", name=values['name']),
    )  # fmt: skip


@router.post("/departments/{department_id}", response_class=HTMLResponse, dependencies=[Csrf])
async def edit_department(
    request: Request, department_id: str, user: User, api: UserApi
) -> Response:
    _admin(user)
    form = await request.form()
    values = form_fields(form, "name")
    body = department_body(form, values)
    values["approver_ids"] = ",".join(body["approver_ids"])
    if "approvers_shown" not in form and "approver_ids" not in form:
        # A rename only (a department with several levels): they are saved on their own.
        del body["approver_ids"]
    return await _write(
        request, api, "departments", values,
        lambda: api.patch("requests", f"/v1/departments/{department_id}", body),
        _("Department %(name)s saved.", name=values['name']), editing=department_id,
    )  # fmt: skip


@router.post(
    "/departments/{department_id}/levels", response_class=HTMLResponse, dependencies=[Csrf]
)
async def save_levels(request: Request, department_id: str, user: User, api: UserApi) -> Response:
    """The levels form: saved as typed with its button applied (admin_levels.read_form)."""
    _admin(user)
    form = await request.form()
    name = form_fields(form, "name")["name"]
    typed = admin_levels.read_form(form)
    again: dict[str, Any] = {
        "typed_levels": {department_id: typed.levels},
        "levels_editing": department_id,
    }
    if not typed.save:
        notice = _("Tick the new level's approvers, then save the approval levels.")
        return await _page(request, api, "departments", notice=notice, **again)
    try:
        await api.patch("requests", f"/v1/departments/{department_id}", typed.body())
    except ApiError as exc:
        errors = admin_levels.level_errors(exc)
        return await _page(
            request, api, "departments", 422 if exc.status < 500 else 502,
            errors=errors, level_errors=errors, problem=None if errors else exc, **again,
        )  # fmt: skip
    done = _("Approval levels of %(name)s saved.", name=name)
    return await _page(request, api, "departments", notice=done)


@router.post(
    "/departments/{department_id}/deactivate", response_class=HTMLResponse, dependencies=[Csrf]
)
async def deactivate_department(
    request: Request, department_id: str, user: User, api: UserApi
) -> Response:
    _admin(user)
    name = form_fields(await request.form(), "name")["name"]
    return await _write(
        request, api, "departments", {},
        lambda: _delete(api, "requests", f"/v1/departments/{department_id}"),
        _("Department %(name)s removed: it is no longer offered.", name=name),
    )  # fmt: skip


# --- leave types -----------------------------------------------------------------------


@router.post("/leave-types", response_class=HTMLResponse, dependencies=[Csrf])
async def add_leave_type(request: Request, user: User, api: UserApi) -> Response:
    _admin(user)
    form = await request.form()
    values = form_fields(form, "name", "unit", "color")
    body = leave_type_body(form, values)
    values.update({k: "on" for k in ("requires_approval", "allow_half_days", "private") if body[k]})
    return await _write(
        request, api, "leave-types", values,
        lambda: api.post("requests", "/v1/leave-types", body),
        _("Leave type %(name)s added.", name=values['name']),
    )  # fmt: skip


@router.post("/leave-types/{leave_type_id}", response_class=HTMLResponse, dependencies=[Csrf])
async def edit_leave_type(
    request: Request, leave_type_id: str, user: User, api: UserApi
) -> Response:
    _admin(user)
    form = await request.form()
    values = form_fields(form, "name", "color")
    body = leave_type_changes(form, values)
    values.update({k: "on" for k in ("requires_approval", "allow_half_days", "private") if body[k]})
    return await _write(
        request, api, "leave-types", values,
        lambda: api.patch("requests", f"/v1/leave-types/{leave_type_id}", body),
        _("Leave type %(name)s saved.", name=values['name']), editing=leave_type_id,
    )  # fmt: skip


@router.post(
    "/leave-types/{leave_type_id}/remove", response_class=HTMLResponse, dependencies=[Csrf]
)
async def remove_leave_type(
    request: Request, leave_type_id: str, user: User, api: UserApi
) -> Response:
    _admin(user)
    name = form_fields(await request.form(), "name")["name"]
    return await _write(
        request, api, "leave-types", {},
        lambda: _delete(api, "requests", f"/v1/leave-types/{leave_type_id}"),
        _("Leave type %(name)s removed: it is no longer offered; past leave keeps its "
        "name.", name=name),
    )  # fmt: skip


# --- policies --------------------------------------------------------------------------

_POLICY_FIELDS = (
    "location_id", "leave_type_id", "annual_allowance", "accrual",
    "carryover_max", "carryover_expiry_months", "negative_allowance",
)  # fmt: skip


@router.get("/policies/{location_id}/{leave_type_id}", response_class=HTMLResponse)
async def policy_form(
    request: Request, location_id: str, leave_type_id: str, user: User, api: UserApi
) -> Response:
    """The policy form filled with the saved policy, to change it."""
    _admin(user)
    found, problem = await attempt(
        api.get("balances", "/v1/policies", location_id=location_id, leave_type_id=leave_type_id)
    )
    items = (found or {}).get("items", []) if isinstance(found, dict) else []
    values: dict[str, Any] = policy_values(items[0]) if items else {}
    values.update(admin_policy_rules.saved_rules_values(items[0]) if items else {})
    values.update(location_id=location_id, leave_type_id=leave_type_id)
    return await _page(request, api, "policies", values=values, editing=NEW, problem=problem)


@router.post("/policies", response_class=HTMLResponse, dependencies=[Csrf])
async def set_policy(request: Request, user: User, api: UserApi) -> Response:
    _admin(user)
    form = await request.form()
    values: dict[str, Any] = form_fields(form, *_POLICY_FIELDS)
    rules = form_fields(form, *admin_policy_rules.TEXT_FIELDS)
    body = policy_body(form, values) | admin_policy_rules.rules_body(form, rules)
    values.update({k: "on" for k in ("prorate_first_year", "unlimited") if body[k]})
    values.update(admin_policy_rules.rules_values(form, rules))
    path = f"/v1/policies/{values['location_id']}/{values['leave_type_id']}"
    return await _write(
        request,
        api,
        "policies",
        values,
        lambda: api.put("balances", path, body),
        _("Policy saved."),
    )


@router.post(
    "/policies/{location_id}/{leave_type_id}/withdraw",
    response_class=HTMLResponse,
    dependencies=[Csrf],
)
async def withdraw_policy(
    request: Request, location_id: str, leave_type_id: str, user: User, api: UserApi
) -> Response:
    _admin(user)
    return await _write(
        request, api, "policies", {},
        lambda: _delete(api, "balances", f"/v1/policies/{location_id}/{leave_type_id}"),
        _("Policy removed: that leave type is no longer offered at that location."),
    )  # fmt: skip


# --- employees -------------------------------------------------------------------------

_EMPLOYEE_FIELDS = (
    "name", "email", "role", "location_id", "department_id", "start_date", "end_date",
)  # fmt: skip


@router.post("/employees", response_class=HTMLResponse, dependencies=[Csrf])
async def add_employee(request: Request, user: User, api: UserApi) -> Response:
    _admin(user)
    form = await request.form()
    values = form_fields(form, *_EMPLOYEE_FIELDS[:-1])
    body = admin_labels.with_labels(employee_body(values), str(form.get("labels") or ""),
                                    clearing=False)  # fmt: skip
    values["labels"] = admin_labels.labels_text(body.get("labels"))
    return await _write(
        request, api, "employees", values,
        lambda: api.post("requests", "/v1/employees", body),
        _("%(name)s added.", name=values["name"]),
    )  # fmt: skip


@router.post("/employees/import", response_class=HTMLResponse, dependencies=[Csrf])
async def import_employees(request: Request, user: User, api: UserApi) -> Response:
    """CSV import, all or nothing; every bad line is listed with its number, and what was
    pasted stays in the box to be corrected."""
    _admin(user)
    form = await request.form()
    upload = form.get("file")
    text = await upload.read() if isinstance(upload, UploadFile) else b""
    pasted = form_fields(form, "csv")["csv"]
    if not text:
        text = pasted.encode()
    report, problem = await attempt(api.post_csv("requests", "/v1/employees/import", text))
    status = 200 if problem is None and not (report or {}).get("errors") else 422
    if status != 200:
        return await _page(
            request, api, "employees", status, report=report, problem=problem,
            values={"csv": pasted},
        )  # fmt: skip
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
        people, _ignored = await attempt(api.items("requests", "/v1/employees"))
        invites, _ignored = await attempt(api.get("requests", "/v1/invites"))
        invited = invited_by_employee(invites)
        chosen = [str(e["id"]) for e in people or [] if str(e["id"]) not in invited]
    if not chosen:
        return await _page(
            request, api, "employees", notice=_("Everyone has been invited already.")
        )
    answer, problem = await attempt(
        api.post("requests", "/v1/invites", {"employee_ids": chosen[:INVITES_MAX]})
    )
    if problem is not None:
        return await _page(request, api, "employees", 502 if problem.status >= 500 else 422,
                           problem=problem)  # fmt: skip
    return await _page(request, api, "employees", notice=invite_notice(answer))


async def _employee_page(
    request: Request, api: Api, employee: dict[str, Any], status: int = 200, **extra: Any
) -> Response:
    context = await _directory(api)
    context.setdefault("values", {k: str(employee.get(k) or "") for k in _EMPLOYEE_FIELDS})
    context["values"].setdefault("labels", admin_labels.labels_text(employee.get("labels")))
    context.update(extra)
    return render(
        request,
        "admin/employee.html",
        status,
        section="employees",
        sections=SECTIONS,
        employee=employee,
        roles=admin_choices.role_words(),
        role_name=admin_choices.role_name,
        day_words=admin_views.day_words,
        **context,
    )


@router.get("/employees/{employee_id}", response_class=HTMLResponse)
async def employee_page(request: Request, employee_id: str, user: User, api: UserApi) -> Response:
    _admin(user)
    employee, problem = await attempt(api.get("requests", f"/v1/employees/{employee_id}"))
    if employee is None:
        return await _page(request, api, "employees", 404, problem=problem)
    return await _employee_page(request, api, employee)


async def _stranded(api: Api, employee_id: str, last_day: date) -> list[dict[str, Any]]:
    """Their live leave with a day after ``last_day`` (what offboarding affects)."""
    found, _ignored = await attempt(
        api.items(
            "requests",
            "/v1/leave-requests",
            employee_id=employee_id,
            **{"from": (last_day + timedelta(days=1)).isoformat()},
        )
    )
    return admin_views.leave_after(found or [], last_day)


@router.post("/employees/{employee_id}", response_class=HTMLResponse, dependencies=[Csrf])
async def edit_employee(request: Request, employee_id: str, user: User, api: UserApi) -> Response:
    """Save an employee. A new end date is shown first with the leave it affects; once
    confirmed, that leave is cancelled with the change (its days go back)."""
    _admin(user)
    employee, problem = await attempt(api.get("requests", f"/v1/employees/{employee_id}"))
    if employee is None:
        return await _page(request, api, "employees", 404, problem=problem)
    form = await request.form()
    values = form_fields(form, *_EMPLOYEE_FIELDS)
    try:
        last_day = date.fromisoformat(values["end_date"]) if values["end_date"] else None
    except ValueError:
        last_day = None
    new_end = last_day is not None and values["end_date"] != str(employee.get("end_date") or "")
    stranded = await _stranded(api, employee_id, last_day) if last_day and new_end else []
    if new_end and not checked(form, "confirmed"):
        return await _employee_page(
            request, api, employee, values=values, confirm=True, stranded=stranded
        )
    values["labels"] = str(form.get("labels") or "").strip()
    # Only a form with the labels field clears them when it is empty.
    changes = admin_labels.with_labels(
        employee_changes(values), values["labels"], clearing="labels" in form
    )
    try:
        saved = await api.patch("requests", f"/v1/employees/{employee_id}", changes)
    except ApiError as exc:
        errors = field_errors(exc, "employees", values)
        return await _employee_page(
            request, api, employee, 422 if exc.status < 500 else 502,
            values=values, errors=errors, problem=None if set(errors) & set(values) else exc,
        )  # fmt: skip
    note = _(
        "Left the company: last working day %(end_date)s",
        end_date=admin_views.day_words(values["end_date"]),
    )
    cancelled = failed = 0
    for leave in stranded if checked(form, "cancel_after") else []:
        _ignored, refused = await attempt(
            api.post("requests", f"/v1/leave-requests/{leave['id']}/cancel", {"note": note})
        )
        cancelled, failed = cancelled + (refused is None), failed + (refused is not None)
    notice = _("%(name)s saved.", name=saved.get("name", values["name"]))
    if cancelled:
        notice += " " + _("%(count)s booked leave after their last day cancelled.", count=cancelled)
    if failed:
        notice += " " + _(
            "%(count)s could not be cancelled: cancel them from their requests.", count=failed
        )
    return await _employee_page(request, api, saved, notice=notice)


# --- integrations ----------------------------------------------------------------------

# Per kind: its fields, the numeric ones, and the secret ones (never typed back in).
_INTEGRATIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "slack": (
        ("team_id", "bot_token", "webhook_url", "signing_secret", "channel"),
        (),
        ("bot_token", "signing_secret"),
    ),
    "teams": (
        ("aad_tenant_id", "webhook_url", "outgoing_webhook_secret"),
        (),
        ("outgoing_webhook_secret",),
    ),
    "email": (
        ("smtp_host", "smtp_port", "from", "username", "password", "starttls"),
        ("smtp_port",),
        ("password",),
    ),
}

_TITLES = {"slack": "Slack", "teams": "Microsoft Teams", "email": N_("Email")}


@router.post("/integrations/{kind}", response_class=HTMLResponse, dependencies=[Csrf])
async def set_integration(request: Request, kind: str, user: User, api: UserApi) -> Response:
    _admin(user)
    if kind not in _INTEGRATIONS:
        return RedirectResponse("/admin/integrations", status_code=303)
    names, numeric, secret = _INTEGRATIONS[kind]
    form = await request.form()
    typed = form_fields(form, *names)
    body = given_fields(typed, numeric)
    if kind == "email":
        body["starttls"] = checked(form, "starttls")
    # After an error the form comes back as typed, less the secrets: they never travel
    # back to the browser.
    values = {f"{kind}-{k}": v for k, v in typed.items() if k not in secret}
    if kind == "email":
        values["email-starttls"] = "on" if body["starttls"] else ""
    try:
        await api.put("notifications", f"/v1/integrations/{kind}", body)
    except ApiError as exc:
        errors = {f"{kind}-{k}": v for k, v in exc.field_errors.items()}
        return await _page(
            request, api, "integrations", 422 if exc.status < 500 else 502,
            values=values, errors=errors, editing=kind,
            problem=None if set(errors) & {f"{kind}-{n}" for n in names} else exc,
        )  # fmt: skip
    return await _page(
        request, api, "integrations", notice=_("%(kind)s integration saved.", kind=_(_TITLES[kind]))
    )


@router.post("/integrations/{kind}/test", response_class=HTMLResponse, dependencies=[Csrf])
async def test_integration(request: Request, kind: str, user: User, api: UserApi) -> Response:
    """Send a test message through a saved integration; its outcome in words."""
    _admin(user)
    if kind not in _INTEGRATIONS:
        return RedirectResponse("/admin/integrations", status_code=303)
    answer, problem = await attempt(api.post("notifications", f"/v1/integrations/{kind}/test"))
    if problem is not None:
        return await _page(request, api, "integrations", 502 if problem.status >= 500 else 422,
                           problem=problem)  # fmt: skip
    where = _("to the From address") if kind == "email" else _("to the channel")
    if (answer or {}).get("sent"):
        notice = _(
            "Test message sent through %(kind)s %(where)s: check that it arrived.",
            kind=_(_TITLES[kind]),
            where=where,
        )
    else:
        why = admin_views.delivery_error((answer or {}).get("error")) or _("It could not be sent.")
        notice = _(
            "The %(kind)s test message was not sent. %(why)s", kind=_(_TITLES[kind]), why=why
        )
    return await _page(request, api, "integrations", notice=notice)


# --- calendar feeds --------------------------------------------------------------------


@router.post("/feeds/{feed_id}/revoke", response_class=HTMLResponse, dependencies=[Csrf])
async def revoke_feed(request: Request, feed_id: str, user: User, api: UserApi) -> Response:
    _admin(user)
    return await _write(
        request, api, "feeds", {},
        lambda: _delete(api, "calendar", f"/v1/feeds/{feed_id}"),
        _("Feed revoked: its address shows nothing from now on."),
    )  # fmt: skip


# --- adjustments and deliveries --------------------------------------------------------

_ADJUSTMENT_FIELDS = ("employee_id", "leave_type_id", "amount", "reason", "effective_date")


@router.post("/adjustments", response_class=HTMLResponse, dependencies=[Csrf])
async def add_adjustment(request: Request, user: User, api: UserApi) -> Response:
    """Record an adjustment; one that would leave the balance below zero is shown with the
    balance it leaves and asks to be confirmed first."""
    _admin(user)
    form = await request.form()
    values = form_fields(form, *_ADJUSTMENT_FIELDS)
    amount = admin_views.decimal(values["amount"])
    if amount is not None and amount < 0 and not checked(form, "confirmed"):
        balances, _ignored = await attempt(
            api.get(
                "balances",
                f"/v1/balances/{values['employee_id']}",
                as_of=values["effective_date"] or None,
            )
        )
        after = admin_views.balance_after(balances, values["leave_type_id"], amount)
        if after is not None and after < 0:
            return await _page(request, api, "adjustments", values=values, negative_after=after)
    body = given_fields(values, ("amount",))
    return await _write(
        request, api, "adjustments", values,
        lambda: api.post("balances", "/v1/adjustments", body), _("Adjustment recorded."),
    )  # fmt: skip


@router.post("/deliveries/{delivery_id}/retry", response_class=HTMLResponse, dependencies=[Csrf])
async def retry_delivery(request: Request, delivery_id: str, user: User, api: UserApi) -> Response:
    _admin(user)
    return await _write(
        request, api, "deliveries", {},
        lambda: api.post("notifications", f"/v1/deliveries/{delivery_id}/retry"),
        _("Sent again."),
    )  # fmt: skip

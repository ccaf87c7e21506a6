"""Home: my balances by leave year (ledger one click away), my requests, and the request
form with its preview."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from .. import approval_wording, wording
from ..api import ApiError
from ..i18n import N_, ngettext
from ..i18n import gettext as _
from ..request_preview import (
    Dates,
    FormShape,
    check_dates,
    offered_types,
    parts_of,
    parts_problem,
    split_at,
    submit_rule_sentence,
)
from ..session import Csrf, SignedIn, User
from ..wording import amount, decimal_of, iso_date
from .common import UserApi, attempt, by_id, form_fields, render, templates
from .request_rules import rule_check

router = APIRouter()

templates.env.filters.update(wording.FILTERS)
templates.env.filters["level_standing"] = approval_wording.standing

REQUEST_FIELDS = (
    "leave_type_id", "start_date", "end_date", "start_part", "end_part", "hours", "reason",
    "record_past",
)  # fmt: skip


@dataclass
class Me:
    """What the form needs to know about the signed-in person."""

    employee: dict[str, Any]
    location: dict[str, Any] | None
    leave_types: list[dict[str, Any]]  # every type of the company, for names
    offered: list[dict[str, Any]]  # those with a policy at my location
    problem: ApiError | None = None

    @property
    def today(self) -> date:
        """Today where I work: a first day is "in the past" by my location's calendar."""
        try:
            zone = ZoneInfo(str((self.location or {}).get("timezone") or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        return datetime.now(UTC).astimezone(zone).date()

    def offered_type(self, leave_type_id: str) -> dict[str, Any] | None:
        return next((t for t in self.offered if t.get("id") == leave_type_id), None)


async def me(api: UserApi, user: SignedIn) -> Me:
    employee_call = attempt(api.get("requests", f"/v1/employees/{user.employee_id}"))
    types_call = attempt(api.get("requests", "/v1/leave-types"))
    (employee, employee_problem), (types, types_problem) = await asyncio.gather(
        employee_call, types_call
    )
    location = None
    location_id = (employee or {}).get("location_id")
    if location_id:
        location, _ignored = await attempt(api.get("requests", f"/v1/locations/{location_id}"))
    all_types = list((types or {}).get("items", []))
    return Me(
        employee=employee or {},
        location=location,
        leave_types=all_types,
        offered=offered_types(all_types, location_id),
        problem=employee_problem or types_problem,
    )


@dataclass
class YearLine:
    """What is left of the type in one leave year once the request is approved."""

    year: str
    left: str
    short_by: str = ""  # "2 days" when the request takes more than there is
    unlimited: bool = False


@dataclass
class Preview:
    """The preview box: the amount in the type's unit and what is left; or one sentence."""

    number: str = ""
    amount: str = ""
    span: str = ""  # "14–18 Dec 2026": the first to the last working day
    years: list[YearLine] = field(default_factory=list)
    message: str = ""
    field: str = ""  # the input the message is about
    hint: str = N_("Pick a leave type and the dates to see what they take.")
    # "Includes 2 non-working days your company counts as leave: ..." (already translated)
    sandwiched: str = ""
    # Warn-mode blackouts the days touch (already translated).
    warnings: tuple[str, ...] = ()


def _counted_type(leave_type: dict[str, Any]) -> dict[str, str]:
    """The type to count with, for day types: its policy's sandwich rule may charge
    non-working days between days off (hours are counted as typed)."""
    return {} if FormShape.of(leave_type).hours else {"leave_type_id": str(leave_type["id"])}


async def _count(
    api: UserApi, start: date, end: date, parts: dict[str, str], of_type: dict[str, str]
) -> Any:
    return await api.get(
        "requests",
        "/v1/working-days",
        start_date=start.isoformat(),
        end_date=end.isoformat(),
        **parts,
        **of_type,
    )


def _sandwiched(counted: dict[str, Any]) -> str:
    days = [d for d in map(iso_date, counted.get("sandwiched_days") or []) if d is not None]
    if not days:
        return ""
    return ngettext(
        "Includes %(num)s non-working day your company counts as leave: %(days)s.",
        "Includes %(num)s non-working days your company counts as leave: %(days)s.",
        len(days),
        days=", ".join(wording.weekday_and_day(d) for d in days),
    )


def _segment_parts(values: dict[str, str], seg: tuple[date, date], first: bool) -> dict[str, str]:
    """The parts of one leave year's share: the first share keeps the first day's part,
    the second the last day's (which, alone on its day, goes as that day's part)."""
    start_part = values.get("start_part", "full") if first else "full"
    end_part = "full" if first else values.get("end_part", "full")
    if seg[0] == seg[1] and not first:
        start_part = end_part
    shares = {"start_part": start_part, "end_part": end_part}
    return parts_of(shares, Dates(*seg), FormShape(hours=False, parts=True))


async def _year_lines(
    api: UserApi,
    user: SignedIn,
    leave_type: dict[str, Any],
    values: dict[str, str],
    dates: Dates,
    taken: Decimal,
    freed: tuple[date, Decimal] | None = None,
) -> list[YearLine]:
    """What is left in each leave year the request touches; ``freed``: an edited request's
    own day and amount, which its new dates replace (its reservation is in ``pending``)."""
    assert dates.start is not None
    assert dates.end is not None
    first, _ignored = await attempt(
        api.get("balances", f"/v1/balances/{user.employee_id}", as_of=dates.start.isoformat())
    )
    if not first:
        return []
    year_end = iso_date(first.get("leave_year", {}).get("end")) or dates.end
    segments = split_at(dates.start, dates.end, year_end)
    shares = [taken]
    answers = [first]
    if len(segments) == 2:
        counted = await asyncio.gather(
            *(
                _count(api, *seg, _segment_parts(values, seg, i == 0), _counted_type(leave_type))
                for i, seg in enumerate(segments)
            )
        )
        shares = [decimal_of(c["amount"]) or Decimal(0) for c in counted]
        next_start = segments[1][0].isoformat()
        second, _ignored = await attempt(
            api.get("balances", f"/v1/balances/{user.employee_id}", as_of=next_start)
        )
        answers.append(second or {})
    lines = []
    for answer, share in zip(answers, shares, strict=True):
        year = answer.get("leave_year", {})
        label = wording.leave_year(year.get("start"), year.get("end"))
        line = next(
            (b for b in answer.get("balances", []) if b.get("leave_type_id") == leave_type["id"]),
            None,
        )
        if line is None:
            continue
        unit = str(line.get("unit") or leave_type.get("unit") or "days")
        if line.get("unlimited"):
            lines.append(YearLine(label, "unlimited", unlimited=True))
            continue
        remaining = decimal_of(line.get("remaining")) or Decimal(0)
        pending = decimal_of(line.get("pending")) or Decimal(0)
        available = decimal_of(line.get("available")) or Decimal(0)
        if freed is not None and _in_year(freed[0], year):
            pending, available = pending - freed[1], available + freed[1]
        left = remaining - pending - share
        short = share - available
        lines.append(YearLine(label, amount(left, unit), amount(short, unit) if short > 0 else ""))
    return lines


def _in_year(day: date, year: dict[str, Any]) -> bool:
    start, end = iso_date(year.get("start")), iso_date(year.get("end"))
    return start is not None and end is not None and start <= day <= end


def _judge(person: Me, user: SignedIn, values: dict[str, str]) -> tuple[Dates, FormShape, str]:
    """What the form can tell before counting anything: (dates, shape, message).

    ``dates.field`` names the input a message is about."""
    leave_type = person.offered_type(values.get("leave_type_id", ""))
    shape = FormShape.of(leave_type)
    if leave_type is None:
        message = _("Pick a leave type.") if values.get("leave_type_id") == "" else ""
        if values.get("leave_type_id"):
            message = _("This leave type is not offered at your location. Pick another one.")
        return Dates(field="leave_type_id", message=message), shape, message
    may_record_past = user.is_admin and values.get("record_past") == "on"
    dates = check_dates(values, person.today, may_record_past=may_record_past, hours=shape.hours)
    if not dates.ok:
        return dates, shape, dates.message
    problem = parts_problem(values, dates, shape)
    if problem:
        return Dates(dates.start, dates.end, "start_part", problem), shape, problem
    if shape.hours:
        hours = decimal_of(values.get("hours"))
        if hours is None or hours <= 0:
            message = _("Enter how many hours, for example 2 or 1.5.")
            return Dates(dates.start, dates.end, "hours", message), shape, message
        if hours > 24:
            message = _("A day has at most 24 hours.")
            return Dates(dates.start, dates.end, "hours", message), shape, message
    return dates, shape, ""


async def build_preview(
    api: UserApi,
    user: SignedIn,
    person: Me,
    values: dict[str, str],
    freed: tuple[date, Decimal] | None = None,
) -> Preview:
    """The preview of what the form would request, from every field of it."""
    if not values.get("leave_type_id") and not values.get("start_date"):
        return Preview()
    dates, shape, message = _judge(person, user, values)
    if message:
        return Preview(message=message, field=dates.field)
    if not dates.start or not dates.end:
        return Preview()
    leave_type = person.offered_type(values["leave_type_id"])
    assert leave_type is not None
    rules = await rule_check(api, person.employee, values["leave_type_id"], dates, person.today)
    if rules.message:
        return Preview(message=rules.message, field=rules.field)
    parts = parts_of(values, dates, shape)
    counted, problem = await attempt(
        _count(api, dates.start, dates.end, parts, _counted_type(leave_type))
    )
    if problem or counted is None:
        return Preview(message=_("These dates could not be counted. Check them and try again."))
    working = [d for d in map(iso_date, counted.get("days", [])) if d is not None]
    if shape.hours:
        if not working:
            return Preview(
                message=_(
                    "%(day)s is not a working day at your location.",
                    day=wording.day(dates.start),
                ),
                field="start_date",
            )
        taken = decimal_of(values.get("hours")) or Decimal(0)
    else:
        taken = decimal_of(counted.get("amount")) or Decimal(0)
        if taken <= 0:
            return Preview(
                message=_("These days are all weekends or public holidays at your location."),
                field="start_date",
            )
    unit = str(leave_type.get("unit") or "days")
    years = await _year_lines(api, user, leave_type, values, dates, taken, freed)
    return Preview(
        number=wording.number(taken),
        amount=amount(taken, unit),
        span=wording.date_range(working[0], working[-1]) if working else "",
        years=years,
        hint="",
        sandwiched="" if shape.hours else _sandwiched(counted),
        warnings=rules.warnings,
    )


def _form_context(
    person: Me, user: SignedIn, values: dict[str, str], preview: Preview
) -> dict[str, Any]:
    leave_type = person.offered_type(values.get("leave_type_id", ""))
    return {
        "leave_types": person.offered,
        "values": values,
        "shape": FormShape.of(leave_type),
        "preview": preview,
        "may_record_past": user.is_admin,
        "has_location": bool(person.employee.get("location_id")),
        "today": person.today.isoformat(),
    }


def _as_of(value: str) -> str:
    """A valid ISO day or "" (then balances answers for today)."""
    return value if iso_date(value) else ""


async def _balances(api: UserApi, user: SignedIn, as_of: str) -> dict[str, Any]:
    balances, problem = await attempt(
        api.get("balances", f"/v1/balances/{user.employee_id}", as_of=_as_of(as_of))
    )
    year = (balances or {}).get("leave_year") or {}
    start, end = iso_date(year.get("start")), iso_date(year.get("end"))
    return {
        "balances": balances,
        "balances_error": problem,
        "as_of": _as_of(as_of),
        "year_label": wording.leave_year(start, end) if start and end else "",
        "previous_year": (start - timedelta(days=1)).isoformat() if start else "",
        "next_year": (end + timedelta(days=1)).isoformat() if end else "",
    }


async def _my_requests(api: UserApi, user: SignedIn) -> tuple[Any, Any]:
    return await attempt(api.get("requests", "/v1/leave-requests", employee_id=user.employee_id))


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, user: User, api: UserApi, as_of: str = "") -> Response:
    person, balances, (mine, mine_error), (people, _ignored) = await asyncio.gather(
        me(api, user),
        _balances(api, user, as_of),
        _my_requests(api, user),
        attempt(api.items("requests", "/v1/employees")),
    )
    return render(
        request,
        "home.html",
        **balances,
        types_by_id=by_id(person.leave_types),
        types_error=person.problem,
        requests=(mine or {}).get("items", []),
        requests_error=mine_error,
        people=by_id(people),
        **_form_context(person, user, {}, Preview()),
    )


@router.get("/partials/my-requests", response_class=HTMLResponse)
async def my_requests(request: Request, user: User, api: UserApi) -> Response:
    """Re-rendered when the live stream says a request changed."""
    types, _ignored = await attempt(api.get("requests", "/v1/leave-types"))
    mine, error = await _my_requests(api, user)
    people, _ignored = await attempt(api.items("requests", "/v1/employees"))
    return render(
        request,
        "partials/my_requests.html",
        requests=(mine or {}).get("items", []),
        requests_error=error,
        people=by_id(people),
        types_by_id=by_id((types or {}).get("items", [])),
    )


@router.get("/partials/my-balances", response_class=HTMLResponse)
async def my_balances(request: Request, user: User, api: UserApi, as_of: str = "") -> Response:
    balances = await _balances(api, user, as_of)
    types, _ignored = await attempt(api.get("requests", "/v1/leave-types"))
    return render(
        request,
        "partials/my_balances.html",
        **balances,
        types_by_id=by_id((types or {}).get("items", [])),
    )


def _query_values(request: Request) -> dict[str, str]:
    return form_fields(request.query_params, *REQUEST_FIELDS)


@router.get("/partials/preview", response_class=HTMLResponse)
async def preview(request: Request, user: User, api: UserApi) -> Response:
    """The amount and what is left, from every field of the form (type, dates, parts,
    hours): the form sends all of them on each change, so the preview is never stale."""
    values = _query_values(request)
    person = await me(api, user)
    shown = await build_preview(api, user, person, values)
    return render(request, "partials/preview.html", preview=shown)


@router.get("/partials/request-form", response_class=HTMLResponse)
async def request_form(request: Request, user: User, api: UserApi) -> Response:
    """The form again for another leave type: only the inputs that type asks for."""
    values = _query_values(request)
    person = await me(api, user)
    shown = await build_preview(api, user, person, values)
    return render(
        request, "partials/request_form.html", **_form_context(person, user, values, shown)
    )


FIELD_SENTENCES = {
    "leave_type_id": N_("Pick a leave type offered at your location."),
    "start_date": N_("Check the first day."),
    "end_date": N_("Check the last day: it cannot be before the first day."),
    "start_part": N_("Check which part of the first day you take."),
    "end_part": N_("Check which part of the last day you take."),
    "hours": N_("Enter how many hours, for example 2 or 1.5."),
    "reason": N_("The reason is too long."),
}


def _submit_problem(problem: ApiError) -> tuple[dict[str, str], str]:
    """(errors by field, a sentence for the rest) from the API's answer, in plain words:
    the form's own wording for its fields, else `problems` (the one mapping of the web)."""
    if problem.status == 422 and problem.errors:
        given = problem.field_errors
        errors = {
            name: _(FIELD_SENTENCES[name]) if name in FIELD_SENTENCES else text
            for name, text in given.items()
        }
        # A broken policy rule or blackout says which, and what to pick instead.
        for error in problem.errors:
            ruled = submit_rule_sentence(str(error.get("message", "")))
            if ruled and str(error.get("field")) in errors:
                errors[str(error.get("field"))] = ruled
        if errors:
            return errors, ""
    if problem.status == 409 and (ruled := submit_rule_sentence(problem.detail)):
        return {"start_date": ruled}, ""
    if problem.status == 409:
        # The dated sentence ("You already have leave on 14–18 Dec (approved).").
        return {"start_date": problem.sentence}, ""
    return {}, problem.sentence


@router.post("/requests", response_class=HTMLResponse, dependencies=[Csrf])
async def submit_request(request: Request, user: User, api: UserApi) -> Response:
    """Submit what the preview accepted; anything wrong shows once, next to its field."""
    values = form_fields(await request.form(), *REQUEST_FIELDS)
    person = await me(api, user)
    dates, shape, message = _judge(person, user, values)
    created: Any = None
    errors: dict[str, str] = {}
    sentence = ""
    if message:
        errors = {dates.field or "start_date": message}
    else:
        assert dates.start is not None
        assert dates.end is not None
        body: dict[str, Any] = {
            "leave_type_id": values["leave_type_id"],
            "start_date": dates.start.isoformat(),
            "end_date": dates.end.isoformat(),
            **parts_of(values, dates, shape),
        }
        if shape.hours:
            body["hours"] = float(decimal_of(values["hours"]) or 0)
        if values.get("reason"):
            body["reason"] = values["reason"]
        created, problem = await attempt(api.post("requests", "/v1/leave-requests", body))
        if problem:
            errors, sentence = _submit_problem(problem)
    shown = (
        Preview()
        if created or errors or sentence
        else await build_preview(api, user, person, values)
    )
    kept = {} if created else values
    response = render(
        request,
        "partials/request_form.html",
        status_code=200 if created else 422,
        **_form_context(person, user, kept, shown),
        errors=errors,
        sentence=sentence,
        created=created,
        created_type=person.offered_type(values.get("leave_type_id", "")),
    )
    if created:
        response.headers["HX-Trigger"] = "lf-live"  # my requests and balances refresh
    return response


@router.post("/requests/{request_id}/cancel", response_class=HTMLResponse, dependencies=[Csrf])
async def cancel_request(request: Request, request_id: str, user: User, api: UserApi) -> Response:
    _ignored, problem = await attempt(
        api.post("requests", f"/v1/leave-requests/{request_id}/cancel", {})
    )
    response = await my_requests(request, user, api)
    if problem:
        message = (
            _("This request can no longer be cancelled.")
            if problem.status in (403, 409)
            else _("The request could not be cancelled. Try again in a moment.")
        )
        response = render(request, "partials/notice.html", problem=None, message=message)
    response.headers["HX-Trigger"] = "lf-live"
    return response


# Bookings count what is used (a reservation of 5 days is +5 in the ledger); people read
# a balance change, so these show with the other sign: taking leave is "-5 days".
BOOKINGS = frozenset({"reservation", "reservation_release", "deduction", "restoration"})


def _change(entry: dict[str, Any], unit: str) -> str:
    """How much an entry changed the balance: "+25 days", "-4.5 days"."""
    value = decimal_of(entry.get("amount")) or Decimal(0)
    if entry.get("kind") in BOOKINGS:
        value = -value
    return ("+" if value > 0 else "") + amount(value, unit)


@router.get("/ledger/{leave_type_id}", response_class=HTMLResponse)
async def ledger(
    request: Request, leave_type_id: str, user: User, api: UserApi, as_of: str = ""
) -> Response:
    """Every entry behind one balance, in the leave year shown on Home, in words."""
    balances = await _balances(api, user, as_of)
    year = (balances["balances"] or {}).get("leave_year") or {}
    entries_call = attempt(
        api.get(
            "balances",
            f"/v1/ledger/{user.employee_id}",
            leave_type_id=leave_type_id,
            **{"from": year.get("start"), "to": year.get("end")},
        )
    )
    (entries, problem), (leave_type, _), (mine, _) = await asyncio.gather(
        entries_call,
        attempt(api.get("requests", f"/v1/leave-types/{leave_type_id}")),
        _my_requests(api, user),
    )
    requests_by_id = by_id((mine or {}).get("items", []))
    unit = str((leave_type or {}).get("unit") or "days")
    items = list((entries or {}).get("items", []))
    rows = [
        {
            "when": wording.day(d) if (d := iso_date(e.get("effective_date"))) else "",
            "what": what,
            "amount": _change(e, unit),
        }
        for e, what in zip(items, wording.ledger_lines(items, requests_by_id), strict=True)
    ]
    return render(
        request,
        "ledger.html",
        rows=rows,
        problem=problem,
        leave_type=leave_type or {"name": _("this leave type")},
        **balances,
    )

"""Time off in lieu: claim time worked beyond the schedule (types with a TOIL policy at my
location only), follow my claims level by level, and, for approvers, decide the claims
whose current level is theirs (the ``level`` is sent, so a stale page cannot decide the
wrong one: the API answers 409 and the page says so)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from .. import toil_views
from ..api import Api, ApiError
from ..i18n import N_
from ..i18n import gettext as _
from ..session import Csrf, SignedIn, User
from .admin_forms import number
from .common import UserApi, attempt, by_id, form_fields, render

router = APIRouter()

_FIELDS = ("leave_type_id", "date", "amount", "note")

FIELD_SENTENCES = {
    "leave_type_id": N_("Pick a time-off-in-lieu type offered at your location."),
}


async def _page(
    request: Request, api: Api, user: SignedIn, status: int = 200, **extra: Any
) -> Response:
    employee, _e = await attempt(api.get("requests", f"/v1/employees/{user.employee_id}"))
    location_id = (employee or {}).get("location_id")
    (
        (policies, _p),
        (types, types_problem),
        (mine, mine_problem),
        (pending, _q),
        (people, _n),
        (substitutions, _s),
    ) = await asyncio.gather(
        attempt(api.get("balances", "/v1/policies", location_id=location_id)),
        attempt(api.get("requests", "/v1/leave-types")),
        attempt(api.items("requests", "/v1/toil", employee_id=user.employee_id)),
        attempt(api.items("requests", "/v1/toil", status="pending"))
        if user.may_approve
        else _nothing(),
        attempt(api.items("requests", "/v1/employees")),
        attempt(api.get("requests", "/v1/substitutions")),
    )
    policy_items = (policies or {}).get("items", []) if isinstance(policies, dict) else []
    toil_ids = toil_views.toil_type_ids(policy_items, location_id)
    all_types = list((types or {}).get("items", []))
    offered = [t for t in all_types if str(t.get("id")) in toil_ids and t.get("active", True)]
    named = by_id(people)
    subs = (substitutions or {}).get("items", []) if isinstance(substitutions, dict) else []
    # The API judges a substitution in the approver's location's date (a day apart at
    # most from UTC's); whatever is offered here, the API decides.
    held = toil_views.standing_in_for(subs, user.employee_id, datetime.now(UTC).date())
    to_decide = [
        c
        for c in pending or []
        if toil_views.i_decide(
            c, user.employee_id, admin=user.is_admin, standing_in_for=frozenset(held)
        )
    ]
    extra.setdefault("values", {})
    return render(
        request,
        "toil.html",
        status,
        nav="toil",
        offered=offered,
        types_by_id=by_id(all_types),
        mine=mine or [],
        mine_problem=mine_problem or types_problem,
        to_decide=to_decide,
        people=named,
        standing=lambda c: toil_views.standing(c, named),
        claim_words=toil_views.claim_words,
        current_level=toil_views.current_level,
        substitute_line=lambda c: toil_views.substitute_line(c, user.employee_id, held, named),
        **extra,
    )


async def _nothing() -> tuple[list[dict[str, Any]], None]:
    return [], None


@router.get("/toil", response_class=HTMLResponse)
async def toil_page(request: Request, user: User, api: UserApi) -> Response:
    return await _page(request, api, user)


def _claim_errors(problem: ApiError) -> dict[str, str]:
    errors = problem.field_errors
    for name, sentence in FIELD_SENTENCES.items():
        if name in errors:
            errors[name] = _(sentence)
    return errors


@router.post("/toil", response_class=HTMLResponse, dependencies=[Csrf])
async def claim(request: Request, user: User, api: UserApi) -> Response:
    values = form_fields(await request.form(), *_FIELDS)
    body: dict[str, Any] = {k: v for k, v in values.items() if v}
    if values["amount"]:
        body["amount"] = number(values["amount"])
    created, problem = await attempt(api.post("requests", "/v1/toil", body))
    if problem is not None:
        errors = _claim_errors(problem) if problem.status == 422 else {}
        shown = set(errors) & set(_FIELDS)
        return await _page(
            request, api, user, 422 if problem.status < 500 else 502,
            values=values, errors=errors, problem=None if shown else problem,
        )  # fmt: skip
    words, worked = toil_views.claim_words(created or {})
    if (created or {}).get("status") == "approved":
        notice = _("%(amount)s worked on %(day)s credited: this type needs no approval.",
                   amount=words, day=worked)  # fmt: skip
    else:
        notice = _("Claim sent: %(amount)s worked on %(day)s. You will see here when it is "
                   "decided.", amount=words, day=worked)  # fmt: skip
    return await _page(request, api, user, notice=notice)


async def _decision(
    request: Request, api: Api, user: SignedIn, toil_id: str, verb: str
) -> Response:
    form = await request.form()
    fields = form_fields(form, "note", "level")
    body: dict[str, Any] = {}
    if fields["note"]:
        body["note"] = fields["note"]
    if fields["level"].isdigit():
        body["level"] = int(fields["level"])
    if verb == "deny" and not fields["note"]:
        return await _page(
            request, api, user, 422, decide_errors={toil_id: _("Say why in the note: the "
                                                              "person reads it.")},
        )  # fmt: skip
    decided, problem = await attempt(api.post("requests", f"/v1/toil/{toil_id}/{verb}", body))
    if problem is not None:
        if problem.status == 409:
            sentence = _("This claim was decided or moved to its next level in the meantime: "
                         "the list below is up to date now.")  # fmt: skip
            return await _page(request, api, user, 409, notice=sentence)
        return await _page(request, api, user, 422 if problem.status < 500 else 502,
                           problem=problem)  # fmt: skip
    words, worked = toil_views.claim_words(decided or {})
    if verb == "deny":
        notice = _("Claim of %(amount)s for %(day)s denied.", amount=words, day=worked)
    elif (decided or {}).get("status") == "approved":
        notice = _("Claim of %(amount)s for %(day)s approved and credited.",
                   amount=words, day=worked)  # fmt: skip
    else:
        notice = _("Your level approved: the claim of %(amount)s for %(day)s goes to its next "
                   "level.", amount=words, day=worked)  # fmt: skip
    return await _page(request, api, user, notice=notice)


@router.post("/toil/{toil_id}/approve", response_class=HTMLResponse, dependencies=[Csrf])
async def approve(request: Request, toil_id: str, user: User, api: UserApi) -> Response:
    return await _decision(request, api, user, toil_id, "approve")


@router.post("/toil/{toil_id}/deny", response_class=HTMLResponse, dependencies=[Csrf])
async def deny(request: Request, toil_id: str, user: User, api: UserApi) -> Response:
    return await _decision(request, api, user, toil_id, "deny")


@router.post("/toil/{toil_id}/cancel", response_class=HTMLResponse, dependencies=[Csrf])
async def cancel(request: Request, toil_id: str, user: User, api: UserApi) -> Response:
    _done, problem = await attempt(api.post("requests", f"/v1/toil/{toil_id}/cancel", {}))
    if problem is not None:
        return await _page(request, api, user, 409 if problem.status == 409 else 422,
                           problem=problem)  # fmt: skip
    return await _page(request, api, user, notice=_("Claim withdrawn."))

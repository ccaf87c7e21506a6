"""Home: my balances (ledger one click away), my requests, and the request form with preview."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..session import Csrf, User
from .common import UserApi, attempt, by_id, form_fields, render

router = APIRouter()

REQUEST_FIELDS = (
    "leave_type_id", "start_date", "end_date", "start_part", "end_part", "hours", "reason",
)  # fmt: skip


async def _my_requests(api: UserApi, user: User) -> tuple[Any, Any]:
    return await attempt(api.get("requests", "/v1/leave-requests", employee_id=user.employee_id))


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, user: User, api: UserApi) -> Response:
    balances, balances_error = await attempt(
        api.get("balances", f"/v1/balances/{user.employee_id}")
    )
    types, types_error = await attempt(api.get("requests", "/v1/leave-types"))
    mine, mine_error = await _my_requests(api, user)
    leave_types = [t for t in (types or {}).get("items", []) if t.get("active", True)]
    return render(
        request,
        "home.html",
        balances=balances,
        balances_error=balances_error,
        leave_types=leave_types,
        types_by_id=by_id(leave_types),
        types_error=types_error,
        requests=(mine or {}).get("items", []),
        requests_error=mine_error,
        values={},
    )


@router.get("/partials/my-requests", response_class=HTMLResponse)
async def my_requests(request: Request, user: User, api: UserApi) -> Response:
    """Re-rendered when the live stream says a request changed."""
    types, _ = await attempt(api.get("requests", "/v1/leave-types"))
    mine, error = await _my_requests(api, user)
    return render(
        request,
        "partials/my_requests.html",
        requests=(mine or {}).get("items", []),
        requests_error=error,
        types_by_id=by_id((types or {}).get("items", [])),
    )


@router.get("/partials/my-balances", response_class=HTMLResponse)
async def my_balances(request: Request, user: User, api: UserApi) -> Response:
    balances, error = await attempt(api.get("balances", f"/v1/balances/{user.employee_id}"))
    types, _ = await attempt(api.get("requests", "/v1/leave-types"))
    return render(
        request,
        "partials/my_balances.html",
        balances=balances,
        balances_error=error,
        types_by_id=by_id((types or {}).get("items", [])),
    )


@router.get("/partials/preview", response_class=HTMLResponse)
async def preview(
    request: Request, api: UserApi, start_date: str = "", end_date: str = ""
) -> Response:
    """Working days and amount of the picked dates, as the requests service counts them."""
    if not start_date:
        return render(request, "partials/preview.html", counted=None, problem=None)
    counted, problem = await attempt(
        api.get(
            "requests",
            "/v1/working-days",
            start_date=start_date,
            end_date=end_date or start_date,
        )
    )
    return render(request, "partials/preview.html", counted=counted, problem=problem)


@router.post("/requests", response_class=HTMLResponse, dependencies=[Csrf])
async def submit_request(request: Request, api: UserApi) -> Response:
    """Submit; the API's errors come back next to the fields they are about."""
    values = form_fields(await request.form(), *REQUEST_FIELDS)
    body: dict[str, Any] = {k: v for k, v in values.items() if v}
    body.setdefault("end_date", values["start_date"])
    types, _ = await attempt(api.get("requests", "/v1/leave-types"))
    leave_types = [t for t in (types or {}).get("items", []) if t.get("active", True)]
    created, problem = await attempt(api.post("requests", "/v1/leave-requests", body))
    response = render(
        request,
        "partials/request_form.html",
        status_code=200 if problem is None else 422,
        leave_types=leave_types,
        values={} if created else values,
        errors=problem.field_errors if problem else {},
        problem=problem,
        created=created,
    )
    if created:
        response.headers["HX-Trigger"] = "lf-live"  # my requests and balances refresh
    return response


@router.post("/requests/{request_id}/cancel", response_class=HTMLResponse, dependencies=[Csrf])
async def cancel_request(request: Request, request_id: str, user: User, api: UserApi) -> Response:
    _, problem = await attempt(api.post("requests", f"/v1/leave-requests/{request_id}/cancel", {}))
    response = await my_requests(request, user, api)
    if problem:
        response = render(request, "partials/notice.html", problem=problem)
    response.headers["HX-Trigger"] = "lf-live"
    return response


@router.get("/ledger/{leave_type_id}", response_class=HTMLResponse)
async def ledger(request: Request, leave_type_id: str, user: User, api: UserApi) -> Response:
    """Every entry behind one balance: accruals, reservations, deductions, adjustments."""
    entries, problem = await attempt(
        api.get("balances", f"/v1/ledger/{user.employee_id}", leave_type_id=leave_type_id)
    )
    leave_type, _ = await attempt(api.get("requests", f"/v1/leave-types/{leave_type_id}"))
    return render(
        request,
        "ledger.html",
        entries=(entries or {}).get("items", []),
        problem=problem,
        leave_type=leave_type or {"name": leave_type_id},
    )

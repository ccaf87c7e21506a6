"""`GET /v1/whos-off` is serialised from each view's own JSON, not through pydantic models:
its bytes must stay those the response model gave (docs/api.md), whatever the names hold."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from leaveflow_calendar.entrypoints.http.routes import whos_off_body
from leaveflow_calendar.entrypoints.http.schemas import WhosOffOut
from leaveflow_calendar.service_layer.queries import Snapshot

from ..conftest import Events

SOON = datetime.now(UTC).date() + timedelta(days=20)
WINDOW = {"from": SOON.isoformat(), "to": (SOON + timedelta(days=9)).isoformat()}
# Quotes, backslashes, control characters, non-ASCII, an emoji, a line separator.
TRICKY = 'Zoë "Q" \\ O\'Neil\n\t\x01 — 😀 \u2028 ü'


def as_the_model_gave(items: list[dict[str, Any]]) -> bytes:
    """What the route answered before: the model, rendered by FastAPI's JSONResponse."""
    model = WhosOffOut.model_validate({"items": items, "next_cursor": None})
    return bytes(JSONResponse(jsonable_encoder(model)).body)


async def company(events: Events) -> None:
    await events.standard_directory()
    await events.employee("e1", TRICKY)
    await events.employee("e2", "Bo", department_id="d2")
    await events.leave_type("vac", f"Vacation {TRICKY}", color="#1f77b4")
    await events.leave_type("sick", "Sick", private=True)
    await events.approved("r1", start_date=SOON, end_date=SOON + timedelta(days=1))
    await events.approved(
        "r2", employee_id="e2", leave_type_id="sick", start_date=SOON, end_date=SOON
    )


async def test_the_body_is_byte_for_byte_the_models(
    client: httpx.AsyncClient, events: Events, auth: Callable[..., dict[str, str]], app: Any
) -> None:
    await company(events)
    for who, role in (("admin", "admin"), ("e1", "user")):  # e1 sees Bo's sick leave as Away
        response = await client.get("/v1/whos-off", params=WINDOW, headers=auth(who, role))
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        body = WhosOffOut.model_validate_json(response.content)
        assert len(body.items) == 2
        assert response.content == as_the_model_gave(response.json()["items"])
    away = next(i for i in response.json()["items"] if i["request_id"] == "r2")
    assert (away["leave_type_id"], away["leave_type_name"], away["private"]) == (None, "Away", True)
    cached: Snapshot = app.state.snapshots.get("tenant-1")
    views = list(cached.leaves)
    assert whos_off_body(views) == as_the_model_gave([v.as_item() for v in views])


def test_no_items_is_the_models_empty_answer() -> None:
    assert whos_off_body([]) == as_the_model_gave([])


def test_the_openapi_document_still_names_the_response_model(app: Any) -> None:
    operation = app.openapi()["paths"]["/v1/whos-off"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/WhosOffOut"}

"""problem+json, health, paging and correlation ids on a minimal service app."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from leaveflow_kit.http import Conflict, Unprocessable, create_service_app
from leaveflow_kit.http.paging import Page, page_out


class Body(BaseModel):
    start_date: date
    count: int


def build(ready: bool = True) -> Any:
    async def check() -> None:
        if not ready:
            raise ConnectionError("down")

    app = create_service_app(title="probe", readiness=[("store", check)])

    @app.post("/v1/things")
    async def things(body: Body) -> dict[str, Any]:
        if body.count == 409:
            raise Conflict("taken")
        if body.count < 0:
            raise Unprocessable("must be positive", field="count")
        return {"ok": True}

    @app.get("/v1/list")
    async def listing(page: Page) -> dict[str, Any]:
        return page_out([page.limit], page.cursor)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    return app


async def call(app: Any, method: str, path: str, **kw: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, path, **kw)


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, None),
        ({"json": {"start_date": "2026-02-30", "count": 1}}, {"start_date"}),
        ({"json": {"start_date": "2026-02-03", "count": "many"}}, {"count"}),
        ({"json": {}}, {"start_date", "count"}),
    ],
)
async def test_bad_input_is_a_422_problem_naming_the_fields(
    kwargs: dict[str, Any], fields: set[str] | None
) -> None:
    r = await call(build(), "POST", "/v1/things", **kwargs)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert {"type", "title", "status", "detail", "errors"} <= body.keys()
    if fields is not None:
        assert {e["field"] for e in body["errors"]} == fields


async def test_domain_problems_keep_their_status() -> None:
    r = await call(build(), "POST", "/v1/things", json={"start_date": "2026-01-01", "count": 409})
    assert (r.status_code, r.json()["detail"]) == (409, "taken")
    r = await call(build(), "POST", "/v1/things", json={"start_date": "2026-01-01", "count": -1})
    assert r.json()["errors"] == [{"field": "count", "message": "must be positive"}]


async def test_unexpected_errors_do_not_leak_internals() -> None:
    r = await call(build(), "GET", "/boom")
    assert r.status_code == 500
    assert "secret" not in r.text


async def test_unknown_path_is_a_404_problem() -> None:
    r = await call(build(), "GET", "/nope")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("query", "status"), [("", 200), ("?limit=1000", 200), ("?limit=0", 422), ("?limit=1001", 422)]
)
async def test_paging_limits(query: str, status: int) -> None:
    r = await call(build(), "GET", "/v1/list" + query)
    assert r.status_code == status
    if status == 200:
        assert r.json()["items"][0] == (int(query.split("=")[1]) if query else 100)


async def test_readiness_reflects_checks_and_metrics_are_served() -> None:
    assert (await call(build(), "GET", "/readyz")).status_code == 200
    down = await call(build(ready=False), "GET", "/readyz")
    assert down.status_code == 503
    assert down.json()["checks"]["store"].startswith("down")
    assert (await call(build(), "GET", "/healthz")).status_code == 200
    metrics = await call(build(), "GET", "/metrics")
    assert "leaveflow_http_requests_total" in metrics.text


async def test_correlation_id_is_echoed_or_created() -> None:
    r = await call(build(), "GET", "/healthz", headers={"x-correlation-id": "abc"})
    assert r.headers["x-correlation-id"] == "abc"
    r = await call(build(), "GET", "/healthz")
    assert len(r.headers["x-correlation-id"]) == 32

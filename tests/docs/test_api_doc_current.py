"""docs/api.md describes exactly the operations each service serves.

Each service's app is built in-process over the memory store (nothing connects, nothing is
served) and its routes are compared with the page's `` ### `METHOD /path` `` headings: the
OpenAPI document's operations with the plain headings, the routes a service keeps out of its
OpenAPI document (signed webhooks, the service-token exchange) with the headings marked
`(outside OpenAPI)`. Only methods and paths are compared; what each operation answers is
the OpenAPI document's business (and, for requests, its contract snapshot test).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
SERVICES = ("requests", "balances", "notifications", "calendar")
HIDDEN = "(outside OpenAPI)"
# Served by every service and listed once, under "On every service", not per service.
EVERY_SERVICE = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")}

_SECTION = re.compile(r"^## (\w+) service\s*$")
_OPERATION = re.compile(r"^### `([A-Z]+) (/\S*)`(.*)$")

Operation = tuple[str, str]


def documented(text: str) -> dict[str, dict[Operation, bool]]:
    """{service: {(method, path): hidden}} from the page's service sections."""
    out: dict[str, dict[Operation, bool]] = {}
    current: dict[Operation, bool] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            section = _SECTION.match(line)
            current = out.setdefault(section.group(1), {}) if section else None
            continue
        operation = _OPERATION.match(line)
        if operation is None:
            continue
        method, path, rest = operation.groups()
        assert current is not None, f"{line!r} is outside a service's section"
        assert (method, path) not in current, f"{method} {path} is described twice"
        current[(method, path)] = HIDDEN in rest
    return out


def test_the_parser_reads_sections_and_marks() -> None:
    page = "\n".join(
        [
            "## Conventions",
            "### Errors",
            "## requests service",
            "### `POST /v1/tenants`",
            "### `POST /v1/auth/service-token` (outside OpenAPI)",
            "## calendar service",
            "### `GET /ical/{token}.ics`",
        ]
    )
    assert documented(page) == {
        "requests": {("POST", "/v1/tenants"): False, ("POST", "/v1/auth/service-token"): True},
        "calendar": {("GET", "/ical/{token}.ics"): False},
    }


def _build(service: str, data_dir: Path) -> FastAPI:
    bootstrap = importlib.import_module(f"leaveflow_{service}.bootstrap")
    config = importlib.import_module(f"leaveflow_{service}.config")
    create_app: Callable[..., FastAPI] = bootstrap.create_app
    return create_app(config.Settings(data_dir=data_dir, database_url="memory://"))


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, FastAPI]:
    return {s: _build(s, tmp_path_factory.mktemp(s)) for s in SERVICES}


@pytest.fixture(scope="module")
def page() -> dict[str, dict[Operation, bool]]:
    return documented(API_DOC.read_text(encoding="utf-8"))


def in_openapi(app: FastAPI) -> set[Operation]:
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


def outside_openapi(app: FastAPI) -> set[Operation]:
    # Included routers stay routers in `app.routes`; their contexts carry the full path.
    return {
        (method, str(context.path))
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and not context.include_in_schema
        for method in context.methods or ()
    }


def _drift(service: str, served: set[Operation], described: set[Operation], mark: str) -> str:
    lines = []
    for method, path in sorted(served - described):
        lines.append(f"  add to '## {service} service': ### `{method} {path}`{mark}")
    for method, path in sorted(described - served):
        lines.append(f"  remove from '## {service} service' (not served): {method} {path}")
    return "\n".join(lines)


def test_the_page_has_a_section_per_service_and_no_other(
    page: dict[str, dict[Operation, bool]],
) -> None:
    assert sorted(page) == sorted(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_every_openapi_operation_is_described_and_nothing_else(
    service: str, apps: dict[str, FastAPI], page: dict[str, dict[Operation, bool]]
) -> None:
    served = in_openapi(apps[service])
    described = {op for op, hidden in page.get(service, {}).items() if not hidden}
    drift = _drift(service, served, described, "")
    assert not drift, f"docs/api.md is out of date:\n{drift}"


@pytest.mark.parametrize("service", SERVICES)
def test_routes_outside_openapi_are_described_and_marked(
    service: str, apps: dict[str, FastAPI], page: dict[str, dict[Operation, bool]]
) -> None:
    app = apps[service]
    assert outside_openapi(app) >= EVERY_SERVICE, "docs/api.md's 'On every service' is wrong"
    served = outside_openapi(app) - EVERY_SERVICE
    described = {op for op, hidden in page.get(service, {}).items() if hidden}
    drift = _drift(service, served, described, f" {HIDDEN}")
    assert not drift, f"docs/api.md is out of date:\n{drift}"

"""The public HTTP contract of the balances service holds still while its code moves.

`openapi_contract.json` was taken from the app before its routes were split by API, moved
onto the service layer's ports and given response models: every path, method, operation
id, tag, parameter, request body and response status code. The current app must match it
exactly; only the response bodies' schemas may gain detail, and every JSON response must
name a model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from leaveflow_balances.bootstrap import create_app
from leaveflow_balances.config import Settings

CONTRACT = Path(__file__).with_name("openapi_contract.json")


def _resolve(node: Any, schemas: dict[str, Any]) -> Any:
    """Inline every `$ref`, so a renamed component with the same shape still compares equal."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return _resolve(schemas[ref.rsplit("/", 1)[1]], schemas)
        return {k: _resolve(v, schemas) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, schemas) for v in node]
    return node


def contract(openapi: dict[str, Any]) -> dict[str, Any]:
    """What a client relies on: everything about each operation but its response bodies."""
    schemas = openapi.get("components", {}).get("schemas", {})
    out: dict[str, Any] = {}
    for path, operations in openapi["paths"].items():
        for method, op in operations.items():
            parameters = sorted(
                _resolve(op.get("parameters", []), schemas),
                key=lambda p: (p["in"], p["name"]),
            )
            out[f"{method.upper()} {path}"] = {
                "operationId": op["operationId"],
                "tags": op.get("tags", []),
                "parameters": parameters,
                "requestBody": _resolve(op.get("requestBody"), schemas),
                "responses": sorted(op["responses"]),
            }
    return out


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("openapi")))


def test_paths_parameters_and_request_bodies_are_unchanged(app: FastAPI) -> None:
    expected = json.loads(CONTRACT.read_text(encoding="utf-8"))
    current = contract(app.openapi())
    assert sorted(current) == sorted(expected)
    for operation, shape in expected.items():
        assert current[operation] == shape, operation


def test_every_json_response_names_a_model(app: FastAPI) -> None:
    untyped = []
    for path, operations in app.openapi()["paths"].items():
        for method, op in operations.items():
            for status, response in op["responses"].items():
                if not status.startswith("2"):
                    continue
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if schema is None:
                    continue  # 204, or the event stream (text/event-stream)
                if "$ref" not in schema and "$ref" not in schema.get("items", {}):
                    untyped.append(f"{method.upper()} {path} {status}")
    assert untyped == []

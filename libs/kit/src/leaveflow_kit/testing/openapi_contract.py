"""A service's public HTTP contract, as a client relies on it, read from its OpenAPI
document: every operation's id, tags, parameters, request body and response status codes;
not the response bodies' schemas, which may gain detail without breaking anyone.

Each service keeps a snapshot (`tests/http/openapi_contract.json`) and compares its app
against it, so a route that moves or changes shape fails a test until the snapshot is
regenerated on purpose (`write_contract`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


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


def contract_changes(openapi: dict[str, Any], snapshot: Path) -> list[str]:
    """The operations that differ from the snapshot (added, removed or changed)."""
    expected: dict[str, Any] = json.loads(snapshot.read_text(encoding="utf-8"))
    current = contract(openapi)
    return sorted(op for op in set(expected) | set(current) if expected.get(op) != current.get(op))


def write_contract(openapi: dict[str, Any], snapshot: Path) -> None:
    snapshot.write_text(json.dumps(contract(openapi), indent=1, sort_keys=True) + "\n")


def untyped_json_responses(openapi: dict[str, Any]) -> list[str]:
    """2xx JSON responses that name no model (a bare `dict[str, Any]` return)."""
    untyped = []
    for path, operations in openapi["paths"].items():
        for method, op in operations.items():
            for status, response in op["responses"].items():
                if not status.startswith("2"):
                    continue
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if schema is None:
                    continue  # 204, a redirect, or the event stream (text/event-stream)
                if "$ref" not in schema and "$ref" not in schema.get("items", {}):
                    untyped.append(f"{method.upper()} {path} {status}")
    return untyped

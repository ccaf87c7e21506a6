"""A fake of the directory, policy, feed, delivery and balance APIs the admin pages use,
answering as docs/api.md describes: duplicate names are 409 ``duplicate-name`` naming
``name``, deletes deactivate, a Slack integration needs a webhook or a bot token, and
everything else in the company answers through ``FakeServices`` (sign-in, people)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from .conftest import FakeServices, employee_of, problem

PROBLEMS = "https://leaveflow.dev/problems/"


def conflict(slug: str, message: str, field_name: str) -> httpx.Response:
    return httpx.Response(
        409,
        json={
            "type": PROBLEMS + slug,
            "title": "Conflict",
            "status": 409,
            "detail": message,
            "errors": [{"field": field_name, "message": message}],
        },
    )


def invalid(field_name: str, message: str) -> httpx.Response:
    return httpx.Response(
        422,
        json={
            "type": PROBLEMS + "validation-error",
            "title": "Unprocessable content",
            "status": 422,
            "detail": message,
            "errors": [{"field": field_name, "message": message}],
        },
    )


def levels_refused(
    levels: list[dict[str, Any]], records: dict[str, dict[str, dict[str, Any]]]
) -> httpx.Response | None:
    """The requests service's checks of ``approval_levels`` (docs/api.md), its field names:
    pydantic's per level, the service's on the whole list."""
    for n, level in enumerate(levels):
        if not level.get("approver_ids"):
            return invalid(f"approval_levels.{n}.approver_ids", "List should have at least 1 item")
        minimum = level.get("min_amount", 0)
        if not isinstance(minimum, int | float):
            return invalid(f"approval_levels.{n}.min_amount", "Input should be a valid decimal")
        if minimum < 0:
            return invalid(
                f"approval_levels.{n}.min_amount", "Input should be greater than or equal to 0"
            )
        for approver in level["approver_ids"]:
            person = records["employees"].get(approver)
            if person is None or person["role"] not in ("approver", "admin"):
                return invalid("approval_levels", f"{approver} is not an active approver or admin")
    return None


@dataclass
class AdminServices:
    """``FakeServices`` plus the admin's APIs, kept in memory; ``calls`` records each
    write as (method, path, body)."""

    base: FakeServices = field(
        default_factory=lambda: FakeServices(
            people={
                "ada@acme.test": ("ada", "admin"),
                "paula@acme.test": ("paula", "approver"),
                "eve@acme.test": ("eve", "user"),
            }
        )
    )
    records: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {
            "locations": {},
            "departments": {},
            "leave-types": {},
            "employees": {},
        }
    )
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    feeds: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    available: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    leave: list[dict[str, Any]] = field(default_factory=list)
    integrations: dict[str, dict[str, Any]] = field(default_factory=dict)
    hooks: dict[str, str] = field(default_factory=dict)
    writes: list[tuple[str, str, Any]] = field(default_factory=list)
    _next: int = 0

    def __post_init__(self) -> None:
        for email, (pid, role) in self.base.people.items():
            name = {"ada": "Ada Admin", "paula": "Paula Approver", "eve": "Eve Example"}[pid]
            self.records["employees"][pid] = {
                "id": pid, "name": name, "email": email, "role": role, "location_id": None,
                "department_id": None, "start_date": None, "end_date": None, "active": True,
            }  # fmt: skip

    def add(self, kind: str, **fields: Any) -> str:
        self._next += 1
        rid = f"{kind[:3]}{self._next}"
        self.records[kind][rid] = {"id": rid, "active": True, **fields}
        return rid

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        is_json = request.headers.get("content-type", "").startswith("application/json")
        body = json.loads(request.content) if request.content and is_json else None
        if method != "GET" and employee_of(request) is not None:
            self.writes.append((method, path, body))
        parts = path.strip("/").split("/")[1:]  # after "v1"
        if not path.startswith("/v1/") or path.startswith(("/v1/auth/", "/v1/tenants")):
            return self.base(request)
        if employee_of(request) is None:
            return self.base(request)
        kind = parts[0]
        if parts[:2] == ["employees", "import"]:
            text = request.content.decode()
            errors = [
                {"line": n, "message": "unknown location 'Atlantis'"}
                for n, line in enumerate(text.splitlines(), 1)
                if "Atlantis" in line
            ]
            return httpx.Response(200, json={"created": 0, "updated": 0, "errors": errors})
        if kind in self.records and not (kind == "employees" and parts[1:2] == ["import"]):
            return self._directory(method, kind, parts[1:], body)
        if kind == "policies":
            return self._policies(method, request, parts[1:], body)
        if kind == "feeds":
            if method == "DELETE":
                return (
                    httpx.Response(204)
                    if self.feeds.pop(parts[1], None)
                    else problem(404, "Not Found", "no such feed")
                )
            return httpx.Response(200, json={"items": list(self.feeds.values())})
        if kind == "deliveries":
            if method == "POST":
                for d in self.deliveries:
                    if d["id"] == parts[1]:
                        d.update(status="pending", last_error=None)
                        return httpx.Response(202, json=d)
                return problem(404, "Not Found", "no such delivery")
            return httpx.Response(200, json={"items": self.deliveries, "next_cursor": None})
        if kind == "balances":
            entries = [
                {"leave_type_id": t, "unit": "days", "available": str(a)}
                for (e, t), a in self.available.items()
                if e == parts[1]
            ]
            return httpx.Response(200, json={"employee_id": parts[1], "balances": entries})
        if kind == "adjustments":
            return httpx.Response(201, json={"kind": "adjustment", **(body or {})})
        if kind == "leave-requests":
            if method == "POST" and parts[-1] == "cancel":
                for r in self.leave:
                    if r["id"] == parts[1]:
                        r["status"] = "cancelled"
                        return httpx.Response(200, json=r)
                return problem(404, "Not Found", "no such request")
            who = request.url.params.get("employee_id")
            since = request.url.params.get("from", "")
            found = [r for r in self.leave if r["employee_id"] == who and r["end_date"] >= since]
            return httpx.Response(200, json={"items": found, "next_cursor": None})
        if kind == "integrations":
            return self._integrations(method, parts[1:], body)
        if kind == "invites":
            return httpx.Response(200, json={"items": []})
        return self.base(request)

    def _directory(self, method: str, kind: str, rest: list[str], body: Any) -> httpx.Response:
        table = self.records[kind]
        if method == "GET" and not rest:
            items = list(table.values())
            if kind == "departments":
                items = [d for d in items if d["active"]]
            return httpx.Response(200, json={"items": items, "next_cursor": None})
        record = table.get(rest[0]) if rest else None
        if rest and record is None:
            return problem(404, "Not Found", f"no such {kind}")
        if method == "GET":
            return httpx.Response(200, json=record)
        if method == "DELETE":
            assert record is not None
            record["active"] = False
            return httpx.Response(204)
        name = str((body or {}).get("name") or (record or {}).get("name") or "").strip()
        if kind == "employees" and record is not None and (body or {}).get("role") == "user":
            admins = [e for e in table.values() if e["role"] == "admin"]
            if admins == [record]:
                return conflict("last-admin", f"{name} is the last admin", "role")
        if kind == "employees" and method == "POST":
            email = str((body or {}).get("email", "")).lower()
            if any(e["email"] == email for e in table.values()):
                return conflict("duplicate-email", f"an employee with email {email} exists", "")
        if kind != "employees":
            for other in table.values():
                same = other["name"].strip().casefold() == name.casefold()
                if other["active"] and same and other is not record:
                    what = {"leave-types": "leave type"}.get(kind, kind[:-1])
                    return conflict("duplicate-name", f"a {what} named {name} exists", "name")
        if kind == "departments" and body and "approval_levels" in body:
            refused = levels_refused(body["approval_levels"], self.records)
            if refused is not None:
                return refused
            levels = body["approval_levels"]
            body = {**body, "approver_ids": levels[0]["approver_ids"] if levels else []}
        if method == "POST":
            rid = self.add(kind, **(body or {}))
            return httpx.Response(201, json=table[rid])
        assert record is not None
        record.update(body or {})
        return httpx.Response(200, json=record)

    def _policies(
        self, method: str, request: httpx.Request, rest: list[str], body: Any
    ) -> httpx.Response:
        if method == "GET":
            wanted = {k: v for k, v in request.url.params.items() if k.endswith("_id")}
            items = [p for p in self.policies.values() if all(p[k] == v for k, v in wanted.items())]
            return httpx.Response(200, json={"items": items, "next_cursor": None})
        key = "/".join(rest)
        if method == "DELETE":
            return (
                httpx.Response(204)
                if self.policies.pop(key, None)
                else problem(404, "Not Found", "no such policy")
            )
        self.policies[key] = {"location_id": rest[0], "leave_type_id": rest[1], **(body or {})}
        return httpx.Response(200, json=self.policies[key])

    def _integrations(self, method: str, rest: list[str], body: Any) -> httpx.Response:
        if method == "GET":
            return httpx.Response(200, json=self.integrations)
        if rest[1:] == ["test"]:
            if rest[0] not in self.integrations:
                return problem(404, "Not Found", f"no {rest[0]} integration")
            failed = "unreachable" in self.hooks.get(rest[0], "")
            error = "network: ConnectError" if failed else None
            return httpx.Response(200, json={"sent": not failed, "error": error})
        fields = body or {}
        if rest[0] == "slack":
            if not (fields.get("webhook_url") or fields.get("bot_token")):
                return invalid("webhook_url", "a webhook URL or a bot token is needed")
            if "127.0.0.1" in str(fields.get("webhook_url", "")):
                return invalid("webhook_url", "webhook_url must be a public address")
        # Secrets are never shown back, only whether they are set; the fake keeps the
        # webhook aside to answer test sends.
        view = {k: v for k, v in fields.items() if k not in ("webhook_url", "bot_token")}
        view.update({f"has_{k}": True for k in ("webhook_url", "bot_token") if k in fields})
        self.integrations[rest[0]] = view
        self.hooks[rest[0]] = str(fields.get("webhook_url", ""))
        return httpx.Response(200, json={rest[0]: view})

"""The requests API's blackout periods (docs/api.md "Blackout periods") over
``AdminServices``: everyone reads them; admins write any, an approver only ones limited to
departments they approve for (403 otherwise); 422 for a last day before the first."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from .admin_fakes import AdminServices, invalid
from .conftest import employee_of, problem


@dataclass
class BlackoutServices:
    admin: AdminServices = field(default_factory=AdminServices)
    blackouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    _next: int = 0

    def add(self, **fields: Any) -> str:
        self._next += 1
        bid = f"blk{self._next}"
        self.blackouts[bid] = {
            "id": bid, "mode": "block", "location_ids": [], "department_ids": [],
            "leave_type_ids": [], **fields,
        }  # fmt: skip
        return bid

    def _may_write(self, caller: str, department_ids: list[str]) -> bool:
        person = self.admin.records["employees"].get(caller, {})
        if person.get("role") == "admin":
            return True
        if person.get("role") != "approver" or not department_ids:
            return False
        departments = self.admin.records["departments"]
        return all(caller in departments.get(d, {}).get("approver_ids", []) for d in department_ids)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        caller = employee_of(request)
        if caller is None or not request.url.path.startswith("/v1/blackouts"):
            return self.admin(request)
        parts = request.url.path.strip("/").split("/")[2:]
        if request.method == "GET" and not parts:
            items = sorted(self.blackouts.values(), key=lambda b: str(b["start_date"]))
            return httpx.Response(200, json={"items": items})
        if request.method == "POST":
            body = json.loads(request.content)
            self.admin.writes.append(("POST", request.url.path, body))
            if not self._may_write(caller, body.get("department_ids") or []):
                return problem(403, "Forbidden", "not an approver of these departments")
            if str(body.get("end_date", "")) < str(body.get("start_date", "")):
                return invalid("end_date", "end_date is before start_date")
            bid = self.add(**body)
            return httpx.Response(201, json=self.blackouts[bid])
        if request.method == "DELETE" and parts:
            found = self.blackouts.get(parts[0])
            if found is None:
                return problem(404, "Not Found", "no such blackout")
            self.admin.writes.append(("DELETE", request.url.path, None))
            if not self._may_write(caller, found["department_ids"]):
                return problem(403, "Forbidden", "not an approver of these departments")
            del self.blackouts[parts[0]]
            return httpx.Response(204)
        return problem(404, "Not Found", "no such blackout")

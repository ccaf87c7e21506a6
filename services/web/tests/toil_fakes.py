"""The requests API's time off in lieu (docs/api.md "Time off in lieu") over
``AdminServices``: a claim is for a type with a TOIL policy at the person's location (422
``leave_type_id`` otherwise), needs a note, is pending with the department's levels, and
each level is decided by its approvers (or an admin) sending the current ``level`` (409
once it moved on)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from .admin_fakes import AdminServices, invalid
from .conftest import employee_of, problem


@dataclass
class ToilServices:
    admin: AdminServices = field(default_factory=AdminServices)
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The approvers of each level, for every claim's department.
    levels: list[list[str]] = field(default_factory=lambda: [["paula"], ["ada"]])
    substitutions: list[dict[str, Any]] = field(default_factory=list)
    _next: int = 0

    def add(self, employee_id: str, leave_type_id: str, **fields: Any) -> str:
        self._next += 1
        cid = f"toil{self._next}"
        levels = [
            {"level": n, "approver_ids": ids, "status": "pending" if n == 1 else "waiting",
             "decided_by": None, "decided_at": None, "note": None}
            for n, ids in enumerate(self.levels, 1)
        ]  # fmt: skip
        self.claims[cid] = {
            "id": cid, "employee_id": employee_id, "leave_type_id": leave_type_id,
            "unit": "hours", "status": "pending", "department_id": "dep",
            "approval": {"current_level": 1, "levels": levels}, "history": [],
            **fields,
        }  # fmt: skip
        return cid

    def _toil_type(self, employee_id: str, leave_type_id: str) -> bool:
        person = self.admin.records["employees"].get(employee_id, {})
        policy = self.admin.policies.get(f"{person.get('location_id')}/{leave_type_id}", {})
        return isinstance(policy.get("toil"), dict)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        caller = employee_of(request)
        if caller is not None and request.url.path == "/v1/substitutions":
            named = [s for s in self.substitutions if caller in (s["approver_id"],
                                                                 s["substitute_id"])]  # fmt: skip
            return httpx.Response(200, json={"items": named, "next_cursor": None})
        if caller is None or not request.url.path.startswith("/v1/toil"):
            return self.admin(request)
        parts = request.url.path.strip("/").split("/")[2:]
        if request.method == "GET":
            q = request.url.params
            items = [
                c for c in self.claims.values()
                if all(c[k] == q[k] for k in ("employee_id", "status") if k in q)
            ]  # fmt: skip
            return httpx.Response(200, json={"items": items, "next_cursor": None})
        body = json.loads(request.content) if request.content else {}
        self.admin.writes.append((request.method, request.url.path, body))
        if not parts:
            return self._claim(caller, body)
        claim = self.claims.get(parts[0])
        if claim is None:
            return problem(404, "Not Found", "no such claim")
        if parts[1] == "cancel":
            claim["status"] = "cancelled"
            return httpx.Response(200, json=claim)
        return self._decide(caller, claim, parts[1] == "approve", body)

    def _claim(self, caller: str, body: dict[str, Any]) -> httpx.Response:
        if not self._toil_type(caller, str(body.get("leave_type_id"))):
            return invalid("leave_type_id", "no time-off-in-lieu policy for this type here")
        if not body.get("note"):
            return invalid("note", "Field required")
        cid = self.add(caller, str(body["leave_type_id"]), date=body["date"],
                       amount=body["amount"], note=body["note"])  # fmt: skip
        return httpx.Response(202, json=self.claims[cid])

    def _decide(
        self, caller: str, claim: dict[str, Any], approve: bool, body: dict[str, Any]
    ) -> httpx.Response:
        approval = claim["approval"]
        current = approval["current_level"]
        if claim["status"] != "pending" or body.get("level", current) != current:
            return problem(409, "Conflict", "the claim is no longer at this level")
        level = approval["levels"][current - 1]
        role = self.admin.records["employees"][caller]["role"]
        standing_in = {s["approver_id"] for s in self.substitutions if s["substitute_id"] == caller}
        if not ({caller} | standing_in) & set(level["approver_ids"]) and role != "admin":
            return problem(403, "Forbidden", "not a decider of this level")
        level.update(status="approved" if approve else "denied", decided_by=caller,
                     note=body.get("note"))  # fmt: skip
        if not approve:
            claim["status"], approval["current_level"] = "denied", None
            for later in approval["levels"][current:]:
                later["status"] = "skipped"
        elif current == len(approval["levels"]):
            claim["status"], approval["current_level"] = "approved", None
        else:
            approval["current_level"] = current + 1
            approval["levels"][current]["status"] = "pending"
        return httpx.Response(200, json=claim)

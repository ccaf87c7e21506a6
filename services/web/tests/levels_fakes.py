"""A fake of the requests API's approval levels and substitutions (docs/api.md "Approval
levels", "/v1/substitutions"), for the Approvals and My substitutes pages: a request's
current level is decided by its approvers, their substitutes while a substitution holds,
or an admin; a ``level`` that is no longer the current one is a 409; a deny skips the
levels after it. Sign-in and everything else answer through ``FakeServices``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from .conftest import FakeServices, employee_of, problem

NAMES = {
    "ada": "Ada Admin", "paula": "Paula Approver", "sam": "Sam Second", "eve": "Eve Example",
}  # fmt: skip


def pending_request(
    rid: str, levels: list[list[str]], *, current: int = 1, days_ahead: int = 14
) -> dict[str, Any]:
    start = date.today() + timedelta(days=days_ahead)
    return {
        "id": rid, "employee_id": "eve", "leave_type_id": "vac", "department_id": "eng",
        "start_date": start.isoformat(), "end_date": (start + timedelta(days=1)).isoformat(),
        "start_part": "full", "end_part": "full", "amount": 2.0, "unit": "days",
        "status": "pending", "reason": None, "history": [], "warnings": [],
        "approval": {
            "current_level": current,
            "levels": [
                {"level": n, "approver_ids": ids,
                 "status": "approved" if n < current else "pending" if n == current else "waiting",
                 "decided_by": ids[0] if n < current else None,
                 "decided_at": "2026-11-30T09:15:00+00:00" if n < current else None,
                 "note": None}
                for n, ids in enumerate(levels, 1)
            ],
        },
    }  # fmt: skip


@dataclass
class LevelServices:
    base: FakeServices = field(
        default_factory=lambda: FakeServices(
            people={
                "ada@acme.test": ("ada", "admin"),
                "paula@acme.test": ("paula", "approver"),
                "sam@acme.test": ("sam", "approver"),
                "eve@acme.test": ("eve", "user"),
            }
        )
    )
    departments: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "id": "eng",
                "name": "Engineering",
                "approver_ids": ["paula"],
                "active": True,
                "approval_levels": [
                    {"approver_ids": ["paula"], "min_amount": None, "leave_type_ids": None},
                    {"approver_ids": ["sam"], "min_amount": None, "leave_type_ids": None},
                ],
            },
        ]
    )
    requests: list[dict[str, Any]] = field(default_factory=list)
    substitutions: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    writes: list[tuple[str, str, Any]] = field(default_factory=list)
    # The real service may refuse a decider of a passed level as no decider (403) before
    # it looks at the level (409): both must read as a passed level.
    deciders_first: bool = False

    def role(self, who: str) -> str:
        return next(r for e, (i, r) in self.base.people.items() if i == who)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        who = employee_of(request)
        if who is None or path.startswith(("/v1/auth/", "/v1/tenants")):
            return self.base(request)
        body = json.loads(request.content) if request.content else None
        if method != "GET":
            self.writes.append((method, path, body))
        parts = path.strip("/").split("/")[1:]
        if parts == ["departments"]:
            return httpx.Response(200, json={"items": self.departments, "next_cursor": None})
        if parts == ["employees"]:
            people = [
                {"id": i, "name": NAMES[i], "email": e, "role": r}
                for e, (i, r) in self.base.people.items()
            ]
            return httpx.Response(200, json={"items": people, "next_cursor": None})
        if parts == ["leave-types"]:
            vac = {"id": "vac", "name": "Vacation", "unit": "days", "active": True}
            return httpx.Response(200, json={"items": [vac], "next_cursor": None})
        if parts[:1] == ["balances"]:
            line = {"leave_type_id": "vac", "unit": "days", "remaining": "20", "available": "20"}
            return httpx.Response(200, json={"employee_id": parts[1], "balances": [line]})
        if parts[:1] == ["substitutions"]:
            return self._substitutions(method, who, parts[1:], body)
        if parts[:1] == ["leave-requests"]:
            return self._leave(request, method, who, parts[1:], body)
        return self.base(request)

    def _leave(
        self, request: httpx.Request, method: str, who: str, rest: list[str], body: Any
    ) -> httpx.Response:
        if method == "GET" and not rest:
            params = request.url.params
            wanted = {
                k: params[k] for k in ("status", "department_id", "employee_id") if params.get(k)
            }
            found = [r for r in self.requests if all(r[k] == v for k, v in wanted.items())]
            return httpx.Response(200, json={"items": found, "next_cursor": None})
        leave = next((r for r in self.requests if r["id"] == rest[0]), None)
        if leave is None:
            return problem(404, "Not Found", "no such request")
        if method == "GET":
            return httpx.Response(200, json=leave)
        decision = rest[1]
        approval = leave["approval"]
        current = approval["current_level"]
        level = approval["levels"][(current or 1) - 1]
        holding = {
            s["approver_id"]
            for s in self.substitutions
            if s["substitute_id"] == who
            and s["start_date"] <= date.today().isoformat() <= s["end_date"]
        }
        decides = who in level["approver_ids"] or holding & set(level["approver_ids"])
        if self.deciders_first and not decides and self.role(who) != "admin":
            return problem(403, "Forbidden", "not a decider of this level")
        if leave["status"] != "pending" or ("level" in body and body["level"] != current):
            return httpx.Response(
                409,
                json={"type": "https://leaveflow.dev/problems/invalid-transition",
                      "title": "Conflict", "status": 409, "detail": "level passed"},
            )  # fmt: skip
        if not decides and self.role(who) != "admin":
            return problem(403, "Forbidden", "not a decider of this level")
        self.decisions.append((leave["id"], who, body))
        level.update(
            status="approved" if decision == "approve" else "denied",
            decided_by=who,
            decided_at=datetime.now(UTC).isoformat(),
            note=body.get("note"),
        )
        if decision == "deny":
            leave["status"], approval["current_level"] = "denied", None
            for later in approval["levels"][current:]:
                later["status"] = "skipped"
        elif current == len(approval["levels"]):
            leave["status"], approval["current_level"] = "approved", None
        else:
            approval["current_level"] = current + 1
            approval["levels"][current]["status"] = "pending"
        return httpx.Response(200, json=leave)

    def _substitutions(self, method: str, who: str, rest: list[str], body: Any) -> httpx.Response:
        admin = self.role(who) == "admin"
        if method == "GET":
            mine = [
                s for s in self.substitutions
                if admin or who in (s["approver_id"], s["substitute_id"])
            ]  # fmt: skip
            mine.sort(key=lambda s: str(s["start_date"]))
            return httpx.Response(200, json={"items": mine, "next_cursor": None})
        if method == "DELETE":
            found = next((s for s in self.substitutions if s["id"] == rest[0]), None)
            named = found is not None and who in (found["approver_id"], found["substitute_id"])
            if found is None or not (admin or named):
                return problem(404, "Not Found", "no such substitution")
            if not admin and who != found["approver_id"]:
                return problem(403, "Forbidden", "only the approver or an admin")
            self.substitutions.remove(found)
            return httpx.Response(204)
        fields = body or {}
        if not admin and fields.get("approver_id") != who:
            return problem(403, "Forbidden", "only the approver or an admin")
        for name in ("approver_id", "substitute_id"):
            person = fields.get(name)
            if not person or person not in NAMES or self.role(person) == "user":
                return _invalid(name, f"{person} is not an active approver or admin")
        if fields["approver_id"] == fields["substitute_id"]:
            return _invalid("substitute_id", "the approver cannot substitute themselves")
        if str(fields.get("end_date", "")) < str(fields.get("start_date", "")):
            return _invalid("end_date", "end_date is before start_date")
        made = {
            "id": f"sub{len(self.substitutions) + 1}", **fields, "created_by": who,
            "created_at": datetime.now(UTC).isoformat(),
        }  # fmt: skip
        self.substitutions.append(made)
        return httpx.Response(201, json=made)


def _invalid(name: str, message: str) -> httpx.Response:
    return httpx.Response(
        422,
        json={
            "type": "https://leaveflow.dev/problems/validation-error",
            "title": "Unprocessable content", "status": 422, "detail": message,
            "errors": [{"field": name, "message": message}],
        },
    )  # fmt: skip

"""The requests/balances APIs as the bot meets them, on loopback: a service token per
employee, one leave request with two approval levels (Bo decides level 1, Cy level 2),
and the permission rules of the real API that the bot must not bypass: only a level's
approver decides it, and a decided level answers 409."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SERVICE_SECRET = "svc"


class FakeRequests:
    def __init__(self) -> None:
        self.request: dict[str, Any] = {
            "id": "r1",
            "employee_id": "t1-ana",
            "leave_type_id": "vac",
            "start_date": "2026-03-02",
            "end_date": "2026-03-03",
            "amount": "2",
            "unit": "days",
            "status": "pending",
            "approval": {
                "current_level": 1,
                "levels": [
                    {"level": 1, "approver_ids": ["t1-bo"], "status": "pending"},
                    {"level": 2, "approver_ids": ["t1-cy"], "status": "waiting"},
                ],
            },
        }
        self.decisions: list[tuple[str, str, Any]] = []
        self.submitted: list[tuple[str, Any]] = []

    @staticmethod
    def _who(request: Request) -> str | None:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        return token.removeprefix("as:") if token.startswith("as:") else None

    def app(self) -> Starlette:
        async def service_token(request: Request) -> Response:
            if request.headers.get("authorization") != f"Service {SERVICE_SECRET}":
                return JSONResponse({"title": "Unauthorized"}, status_code=401)
            body = await request.json()
            return JSONResponse({"token": f"as:{body['employee_id']}"})

        async def leave_types(request: Request) -> Response:
            return JSONResponse({"items": [{"id": "vac", "name": "Vacation", "active": True}]})

        async def balance(request: Request) -> Response:
            if self._who(request) != request.path_params["employee_id"]:
                return JSONResponse({"title": "Forbidden"}, status_code=403)
            row = {"leave_type_id": "vac", "available": "18", "used": "4", "pending": "2"}
            return JSONResponse({"balances": [{**row, "unit": "days"}]})

        async def one(request: Request) -> Response:
            viewer = self._who(request)
            levels = self.request["approval"]["levels"]
            allowed = {self.request["employee_id"]} | {
                a for level in levels for a in level["approver_ids"]
            }
            if viewer not in allowed:
                return JSONResponse({"title": "Not found"}, status_code=404)
            return JSONResponse(self.request)

        async def decide(request: Request) -> Response:
            viewer = self._who(request)
            decision = request.path_params["decision"]
            body = await request.json()
            approval = self.request["approval"]
            if self.request["status"] != "pending":
                return JSONResponse({"detail": "status is " + self.request["status"]}, 409)
            if body.get("level") is not None and body["level"] != approval["current_level"]:
                return JSONResponse({"detail": f"level {body['level']} is decided"}, 409)
            level = approval["levels"][approval["current_level"] - 1]
            if viewer not in level["approver_ids"]:
                return JSONResponse({"detail": "not a decider of this level"}, 403)
            self.decisions.append((str(viewer), decision, body))
            level.update(status="approved" if decision == "approve" else "denied")
            level.update(decided_by=viewer, note=body.get("note"))
            last = approval["current_level"] == len(approval["levels"])
            if decision == "deny" or last:
                self.request["status"] = "approved" if decision == "approve" else "denied"
                approval["current_level"] = None
            else:
                approval["current_level"] += 1
                approval["levels"][approval["current_level"] - 1]["status"] = "pending"
            return JSONResponse(self.request)

        async def submit(request: Request) -> Response:
            body = await request.json()
            self.submitted.append((str(self._who(request)), body))
            return JSONResponse({**body, "id": "r2", "amount": "2", "status": "pending"}, 201)

        async def whos_off(request: Request) -> Response:
            if request.query_params.get("from") != "2026-03-02":
                return JSONResponse({"items": []})
            item = {"employee_name": "Ana Lima", "leave_type_name": "Vacation"}
            span = {"start_date": "2026-03-02", "end_date": "2026-03-03"}
            return JSONResponse({"items": [{**item, **span}]})

        return Starlette(
            routes=[
                Route("/v1/leave-requests", submit, methods=["POST"]),
                Route("/v1/whos-off", whos_off),
                Route("/v1/auth/service-token", service_token, methods=["POST"]),
                Route("/v1/leave-types", leave_types),
                Route("/v1/balances/{employee_id}", balance),
                Route("/v1/leave-requests/r1", one),
                Route("/v1/leave-requests/r1/{decision}", decide, methods=["POST"]),
            ]
        )

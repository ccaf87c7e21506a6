"""Chat commands and decisions, carried out through the public API as the person."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from leaveflow_kit.clock import Clock, today_in

from ..domain.commands import USAGE, Balance, Command, Help, RequestLeave, WhosOff
from ..domain.messages import digest_line
from .links import decision_body
from .ports import ApiUnavailable, LeaveflowApi, ReadModel


class Chat:
    def __init__(self, api: LeaveflowApi, reads: ReadModel, clock: Clock) -> None:
        self._api = api
        self._reads = reads
        self._clock = clock

    async def today(self, tenant_id: str, employee_id: str) -> date:
        """The employee's date now: in their location's time zone, else their tenant's."""
        return today_in(self._clock, await self._reads.time_zone(tenant_id, employee_id))

    async def run(self, tenant_id: str, employee_id: str, command: Command, via: str) -> str:
        try:
            if isinstance(command, RequestLeave):
                return await self._request(tenant_id, employee_id, command, via)
            if isinstance(command, Balance):
                return await self._balance(tenant_id, employee_id, via)
            if isinstance(command, WhosOff):
                return await self._whos_off(tenant_id, employee_id, command.day, via)
        except ApiUnavailable:
            return "Leaveflow is not reachable right now; please try again in a minute."
        assert isinstance(command, Help)
        return f"{command.problem}\n{USAGE}" if command.problem else USAGE

    async def _leave_type(
        self, tenant_id: str, employee_id: str, wanted: str | None, via: str
    ) -> tuple[str | None, str]:
        answer = await self._api.as_employee(
            tenant_id, employee_id, "GET", "requests", "/v1/leave-types", via=via
        )
        if not answer.ok:
            return None, answer.problem
        types = [t for t in answer.body.get("items", []) if t.get("active", True)]
        names = ", ".join(t["name"] for t in types) or "none"
        if wanted:
            matches = [t for t in types if t["name"].lower().startswith(wanted.lower())]
        else:
            matches = types if len(types) == 1 else []
        if len(matches) != 1:
            hint = "Name one of" if not wanted else f"No single leave type matches `{wanted}`; use"
            return None, f"{hint}: {names}."
        return str(matches[0]["id"]), str(matches[0]["name"])

    async def _request(self, tenant_id: str, employee_id: str, cmd: RequestLeave, via: str) -> str:
        type_id, type_name = await self._leave_type(tenant_id, employee_id, cmd.leave_type, via)
        if type_id is None:
            return type_name
        body: dict[str, Any] = {
            "leave_type_id": type_id,
            "start_date": cmd.start.isoformat(),
            "end_date": cmd.end.isoformat(),
        }
        if cmd.reason:
            body["reason"] = cmd.reason
        answer = await self._api.as_employee(
            tenant_id, employee_id, "POST", "requests", "/v1/leave-requests", json=body, via=via
        )
        if not answer.ok:
            return f"Could not request leave: {answer.problem}"
        span = cmd.start.isoformat() + ("" if cmd.end == cmd.start else f" to {cmd.end}")
        return (
            f"Requested {type_name} {span}: {answer.body['amount']} day(s). "
            "You will hear here when it is decided."
        )

    async def _balance(self, tenant_id: str, employee_id: str, via: str) -> str:
        answer = await self._api.as_employee(
            tenant_id, employee_id, "GET", "balances", f"/v1/balances/{employee_id}", via=via
        )
        if not answer.ok:
            return f"Could not read your balance: {answer.problem}"
        rows = answer.body.get("balances", [])
        if not rows:
            return "You have no leave balances yet."
        names = await self._type_names(tenant_id, employee_id, via)
        return "\n".join(
            f"{names.get(r['leave_type_id'], r['leave_type_id'])}: {r['available']} "
            f"{r.get('unit', 'days')} available ({r['used']} used, {r['pending']} pending)"
            for r in rows
        )

    async def _type_names(self, tenant_id: str, employee_id: str, via: str) -> dict[str, str]:
        answer = await self._api.as_employee(
            tenant_id, employee_id, "GET", "requests", "/v1/leave-types", via=via
        )
        items = answer.body.get("items", []) if answer.ok else []
        return {t["id"]: t["name"] for t in items}

    async def _whos_off(self, tenant_id: str, employee_id: str, day: date | None, via: str) -> str:
        when = (day or await self.today(tenant_id, employee_id)).isoformat()
        answer = await self._api.as_employee(
            tenant_id,
            employee_id,
            "GET",
            "calendar",
            "/v1/whos-off",
            params={"from": when, "to": when},
            via=via,
        )
        if not answer.ok:
            return f"Could not read who is off: {answer.problem}"
        items = [whos_off_item(i) for i in answer.body.get("items", [])]
        if not items:
            return f"Nobody is off on {when}."
        return f"Off on {when}: " + "; ".join(digest_line(i) for i in items)

    async def decide(
        self,
        tenant_id: str,
        approver_id: str,
        request_id: str,
        decision: str,
        via: str,
        level: int | None = None,
    ) -> tuple[bool, str]:
        """Approve or deny as the approver (`level`: the one their message asked about);
        (decided now?, what to tell them)."""
        if decision not in ("approve", "deny"):
            return False, f"Unknown decision `{decision}`."
        note = f"{'Approved' if decision == 'approve' else 'Denied'} via {via}"
        answer = await self._api.as_employee(
            tenant_id,
            approver_id,
            "POST",
            "requests",
            f"/v1/leave-requests/{quote(request_id, safe='')}/{decision}",
            json=decision_body(note, level),
            via=via,
        )
        if answer.ok:
            return True, decided_text(decision, answer.body)
        if answer.status == 409 and level is not None:
            return False, f"Nothing to do: level {level} was decided already ({answer.problem})."
        if answer.status == 409:
            return False, f"Nothing to do: this request is no longer pending ({answer.problem})."
        if answer.status == 403:
            # Requests decides which level the clicker may decide: here, none (another
            # level's turn, a removed approver, the requester): a sentence, not an error.
            return False, (
                "You cannot decide this request now: it waits for someone else's decision. "
                "Nothing was changed."
            )
        if answer.status == 404:
            return False, "This request does not exist or is not yours to see."
        return False, f"Could not {decision}: {answer.problem}"


def decided_text(decision: str, body: Any) -> str:
    """What the clicker reads: the decision, and where the request goes next when their
    approval was one level of several."""
    body = body if isinstance(body, dict) else {}
    span = f"leave {body.get('start_date')} to {body.get('end_date')}"
    if decision == "deny":
        return f"Denied: {span}."
    approval = body.get("approval") if isinstance(body.get("approval"), dict) else {}
    next_level = approval.get("current_level") if body.get("status") == "pending" else None
    if next_level:
        return f"Approved your level: {span} now waits for level {next_level}."
    return f"Approved: {span}."


def whos_off_item(item: dict[str, Any]) -> dict[str, str]:
    return {
        "name": str(item.get("employee_name") or item.get("employee_id")),
        "leave_type": str(item.get("leave_type_name") or "leave"),
        "start_date": str(item.get("start_date")),
        "end_date": str(item.get("end_date")),
    }

"""A Slack button acts as the clicker through the requests API, which decides the level
they may decide: a level approved, the last one, or a refusal, each said in a sentence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from leaveflow_notifications.adapters.store_reads import StoreReads
from leaveflow_notifications.service_layer.chat import Chat
from leaveflow_notifications.service_layer.ports import ApiAnswer

from ..conftest import World


@dataclass
class ScriptedApi:
    answer: ApiAnswer
    calls: list[tuple[str, str, str, Any]] = field(default_factory=list)

    async def as_employee(
        self,
        tenant_id: str,
        employee_id: str,
        method: str,
        service: str,
        path: str,
        *,
        via: str = "chat",
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> ApiAnswer:
        self.calls.append((employee_id, method, path, json))
        return self.answer


LEAVE = {"start_date": "2026-03-02", "end_date": "2026-03-03"}


@pytest.mark.parametrize(
    ("decision", "answer", "decided", "said"),
    [
        (
            "approve",
            ApiAnswer(200, {**LEAVE, "status": "pending", "approval": {"current_level": 2}}),
            True,
            "Approved your level: leave 2026-03-02 to 2026-03-03 now waits for level 2.",
        ),
        (
            "approve",
            ApiAnswer(200, {**LEAVE, "status": "approved", "approval": {"current_level": None}}),
            True,
            "Approved: leave 2026-03-02 to 2026-03-03.",
        ),
        ("approve", ApiAnswer(200, {**LEAVE, "status": "approved"}), True, "Approved: leave"),
        ("deny", ApiAnswer(200, {**LEAVE, "status": "denied"}), True, "Denied: leave 2026-03-02"),
        (
            "approve",
            ApiAnswer(403, {"title": "Forbidden", "detail": "not a decider of level 2"}),
            False,
            "You cannot decide this request now: it waits for someone else's decision.",
        ),
        ("deny", ApiAnswer(404, {"title": "Not found"}), False, "does not exist or is not yours"),
        (
            "approve",
            ApiAnswer(409, {"title": "Conflict", "detail": "status is approved"}),
            False,
            "no longer pending (status is approved)",
        ),
    ],
)
async def test_the_clicker_reads_what_requests_decided(
    world: World, decision: str, answer: ApiAnswer, decided: bool, said: str
) -> None:
    api = ScriptedApi(answer)
    chat = Chat(api, StoreReads(world.store), world.clock)
    outcome = await chat.decide("t1", "t1-ben", "r1", decision, "slack")
    assert outcome[0] is decided
    assert said in outcome[1]
    ((who, method, path, body),) = api.calls
    assert (who, method, path) == ("t1-ben", "POST", f"/v1/leave-requests/r1/{decision}")
    assert body == {"note": f"{'Approved' if decision == 'approve' else 'Denied'} via slack"}


async def test_the_level_the_message_asked_about_goes_with_the_decision(world: World) -> None:
    api = ScriptedApi(ApiAnswer(409, {"title": "Conflict", "detail": "level 1 was decided"}))
    chat = Chat(api, StoreReads(world.store), world.clock)
    decided, said = await chat.decide("t1", "t1-bo", "r1", "approve", "slack", level=1)
    assert not decided
    assert said == "Nothing to do: level 1 was decided already (level 1 was decided)."
    assert api.calls[0][3] == {"note": "Approved via slack", "level": 1}

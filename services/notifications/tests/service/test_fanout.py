"""Who gets what: events become one delivery per (event, recipient, channel)."""

from __future__ import annotations

from datetime import date
from typing import Any

from leaveflow_contracts import LeaveApproved, LeaveCancelled, LeaveRejected, LeaveStatus
from leaveflow_notifications.service_layer import integrations


def _facts(**kw: Any) -> dict[str, Any]:
    return {
        "request_id": "r1",
        "employee_id": "t1-ana",
        "leave_type_id": "vac",
        "start_date": date(2026, 3, 2),
        "end_date": date(2026, 3, 3),
        "amount": "2",
        "department_id": "t1-d1",
        **kw,
    }


async def test_no_integration_means_no_delivery(world: Any) -> None:
    await world.feed(world.pending())
    assert await world.deliveries() == []


async def test_pending_goes_to_the_departments_approvers_on_each_channel(world: Any) -> None:
    await world.connect("slack", team_id="T1", bot_token="xoxb-1", signing_secret="s")
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    await world.feed(world.pending())
    got = {(d["recipient"], d["channel"]) for d in await world.deliveries()}
    assert got == {("t1-bo", "slack"), ("t1-bo", "email")}
    (slack,) = await world.deliveries(channel="slack")
    assert slack["payload"]["notice"]["kind"] == "pending"
    assert slack["payload"]["notice"]["employee_name"] == "Ana Lima"
    assert slack["payload"]["to"]["slack_user_id"] == "U_BO"


async def test_pending_without_approvers_goes_to_the_admins(world: Any) -> None:
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    await world.feed(world.pending().model_copy(update={"department_id": None}))
    assert [d["recipient"] for d in await world.deliveries()] == ["t1-cy"]


async def test_a_slack_user_without_an_id_is_skipped_when_only_a_bot_token_exists(
    world: Any,
) -> None:
    await world.connect("slack", team_id="T1", bot_token="xoxb-1", signing_secret="s")
    await world.feed(world.pending().model_copy(update={"department_id": None}))
    assert await world.deliveries() == [], "Cy has no Slack id and there is no webhook"


async def test_decisions_go_to_the_employee_and_cancellations_to_both(world: Any) -> None:
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    await world.feed(LeaveApproved(**_facts(), approver_id="t1-bo"))
    await world.feed(
        LeaveRejected(
            **_facts(request_id="r2"), rejection_reason="insufficient_balance", available="1"
        )
    )
    await world.feed(
        LeaveCancelled(**_facts(request_id="r3"), previous_status=LeaveStatus.APPROVED)
    )
    by_kind: dict[str, set[str]] = {}
    for d in await world.deliveries():
        by_kind.setdefault(d["payload"]["notice"]["kind"], set()).add(d["recipient"])
    assert by_kind == {
        "approved": {"t1-ana"},
        "rejected": {"t1-ana"},
        "cancelled": {"t1-ana", "t1-bo"},
    }
    (rejected,) = [d for d in await world.deliveries() if d["event_type"] == "LeaveRejected"]
    assert rejected["payload"]["notice"]["detail"] == "insufficient_balance"
    assert rejected["payload"]["notice"]["available"] == "1.00"


async def test_a_redelivered_event_creates_no_second_delivery(world: Any) -> None:
    await world.connect(
        "slack", team_id="T1", webhook_url="http://127.0.0.1:9/h", signing_secret="s"
    )
    env = await world.feed(world.pending())
    await world.feed(world.pending(), env=env)
    assert len(await world.deliveries()) == 1


async def test_preferences_turn_a_channel_off_for_one_person(world: Any) -> None:
    await world.connect(
        "slack", team_id="T1", webhook_url="http://127.0.0.1:9/h", signing_secret="s"
    )
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    await world.integrations.set_preferences("t1", "t1-bo", {"slack": False, "email": True})
    await world.feed(world.pending())
    assert [d["channel"] for d in await world.deliveries()] == ["email"]


async def test_secrets_are_encrypted_at_rest_and_never_shown(world: Any) -> None:
    view = await world.integrations.connect(
        "t1",
        "slack",
        {"team_id": "T1", "bot_token": "xoxb-secret", "signing_secret": "sign-secret"},
    )
    raw = await world.store.get("integrations", "t1:slack")
    assert "xoxb-secret" not in str(raw)
    assert "sign-secret" not in str(raw)
    assert "xoxb-secret" not in str(view)
    assert view["has_bot_token"] is True
    listed = await world.integrations.listing("t1")
    assert "sign-secret" not in str(listed)
    found = await world.integrations.inbound("slack", "T1")
    assert found is not None
    assert found["signing_secret"] == "sign-secret"


async def test_one_slack_workspace_belongs_to_one_tenant(world: Any) -> None:
    import pytest

    await world.connect("slack", team_id="T1", bot_token="x", signing_secret="s")
    with pytest.raises(integrations.IntegrationConflict):
        await world.connect("slack", tenant="t2", team_id="T1", bot_token="x", signing_secret="s")

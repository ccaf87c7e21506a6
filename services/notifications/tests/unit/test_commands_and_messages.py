"""Pure rules: the chat command language, backoff bounds, what a notice says."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leaveflow_notifications.domain.commands import (
    USAGE,
    Balance,
    Help,
    RequestLeave,
    WhosOff,
    parse,
)
from leaveflow_notifications.domain.delivery import backoff
from leaveflow_notifications.domain.messages import Notice

D = date.fromisoformat


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("request 2026-03-02", RequestLeave(D("2026-03-02"), D("2026-03-02"))),
        (
            "request 2026-03-02 2026-03-06 vacation family trip",
            RequestLeave(D("2026-03-02"), D("2026-03-06"), "vacation", "family trip"),
        ),
        ("request 2026-03-02 sick", RequestLeave(D("2026-03-02"), D("2026-03-02"), "sick")),
        ("REQUEST 2026-03-02", RequestLeave(D("2026-03-02"), D("2026-03-02"))),
        ("balance", Balance()),
        ("whosoff", WhosOff()),
        ("whosoff 2026-05-01", WhosOff(D("2026-05-01"))),
        ("help", Help()),
        ("", Help()),
    ],
)
def test_commands_parse(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("request", "start date"),
        ("request tomorrow", "start date"),
        ("request 2026-03-06 2026-03-02", "before the start"),
        ("whosoff friday", "not a date"),
        ("dance", "Unknown command"),
    ],
)
def test_malformed_commands_get_help_with_the_problem(text: str, problem: str) -> None:
    command = parse(text)
    assert isinstance(command, Help)
    assert command.problem is not None
    assert problem in command.problem


def test_usage_names_every_command() -> None:
    for word in ("request", "balance", "whosoff", "help"):
        assert word in USAGE


@given(st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=2**32))
def test_backoff_grows_with_jitter_within_bounds(attempt: int, seed: int) -> None:
    wait = backoff(attempt, random.Random(seed))
    ceiling = min(2.0**attempt, 300.0)
    assert timedelta(seconds=ceiling / 2) <= wait <= timedelta(seconds=ceiling)


def test_backoff_jitters() -> None:
    waits = {backoff(5, random.Random(seed)) for seed in range(20)}
    assert len(waits) > 1


def _notice(kind: str, **kw: str) -> Notice:
    base: dict[str, Any] = {
        "tenant_id": "t",
        "employee_name": "Ana",
        "request_id": "r1",
        "leave_type": "Vacation",
        "start_date": "2026-03-02",
        "end_date": "2026-03-04",
        "amount": "3",
        "unit": "days",
    }
    return Notice(kind=kind, **{**base, **kw})


def test_rejection_says_reason_and_numbers() -> None:
    text = _notice("rejected", detail="insufficient_balance", available="1.5").summary
    assert "insufficient balance" in text
    assert "1.5" in text
    assert "3 days" in text


def test_pending_needs_a_decision_others_do_not() -> None:
    assert _notice("pending").needs_decision
    assert not _notice("approved").needs_decision
    assert "Ana asks for Vacation, 2026-03-02 to 2026-03-04 (3 days)" in _notice("pending").summary


def test_notice_round_trips_through_a_dict() -> None:
    notice = _notice("denied", detail="team offsite")
    assert Notice.from_dict({**notice.to_dict(), "unknown": 1}) == notice
    assert "team offsite" in notice.summary

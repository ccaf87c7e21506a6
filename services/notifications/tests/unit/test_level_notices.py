"""What a notice says about approval levels (pure)."""

from __future__ import annotations

import pytest

from leaveflow_notifications.domain.messages import (
    APPROVED,
    LEVEL_APPROVED,
    PENDING,
    REMINDER,
    Notice,
    level_text,
)

TWO = [
    {"level": "1", "status": "approved", "who": "Ada"},
    {"level": "2", "status": "pending", "who": "Ben"},
]


def notice(kind: str, **kw: object) -> Notice:
    return Notice(
        kind=kind,
        tenant_id="t1",
        employee_name="Ana",
        request_id="r1",
        leave_type="Vacation",
        start_date="2026-03-02",
        end_date="2026-03-03",
        amount="2",
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("level", "said"),
    [
        ({"level": "1", "status": "approved", "who": "Ada"}, "Level 1: approved by Ada"),
        ({"level": "2", "status": "denied", "who": "Ben"}, "Level 2: denied by Ben"),
        ({"level": "2", "status": "pending", "who": "Ben, Cleo"}, "Level 2: waiting for Ben, Cleo"),
        ({"level": "3", "status": "waiting", "who": "Dee"}, "Level 3: then Dee"),
        ({"level": "3", "status": "waiting", "who": ""}, "Level 3: later"),
        ({"level": "1", "status": "skipped", "who": "Ana"}, "Level 1: skipped"),
    ],
)
def test_each_level_reads_as_a_short_phrase(level: dict[str, str], said: str) -> None:
    assert level_text(level) == said


def test_the_levels_line_joins_every_level_and_a_single_level_says_nothing() -> None:
    assert notice(PENDING, levels=TWO).level_line == (
        "Level 1: approved by Ada · Level 2: waiting for Ben"
    )
    assert notice(PENDING, levels=TWO[:1]).level_line == ""
    assert notice(PENDING, levels=TWO).text.endswith(
        "Level 1: approved by Ada · Level 2: waiting for Ben"
    )


def test_a_closed_message_asks_nothing_and_says_what_closed_it() -> None:
    asking = notice(REMINDER, levels=TWO)
    assert asking.needs_decision
    closed = asking.closed_by("Approved by Ben.", [{**TWO[1], "status": "approved"}, TWO[0]])
    assert not closed.needs_decision
    assert closed.text.splitlines()[-1] == "Approved by Ben."
    assert "Level 2: approved by Ben" in closed.text
    assert Notice.from_dict(closed.to_dict()) == closed


def test_the_employees_level_update_names_who_has_it_now() -> None:
    told = notice(LEVEL_APPROVED, level=1, waiting_for="Ben")
    assert told.title == "Level 1 approved: Vacation 2026-03-02 to 2026-03-03"
    assert (
        told.summary
        == "Level 1 of your Vacation, 2026-03-02 to 2026-03-03 (2 days) was approved, now with Ben."
    )
    assert not told.needs_decision


def test_an_automatic_decision_says_why_and_a_person_s_says_the_note() -> None:
    auto = notice(APPROVED, automatic=True, detail="Nobody decided in time.")
    assert auto.summary.endswith("was approved automatically: Nobody decided in time.")
    by_person = notice(APPROVED, detail="Enjoy")
    assert by_person.summary.endswith("was approved. Note: Enjoy")

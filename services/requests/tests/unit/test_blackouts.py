"""Blackout periods and the coverage limit on written-out dates (issue 17)."""

# fixed-clock: pure functions of the dates given (no clock)

from datetime import date, timedelta

import pytest

from leaveflow_requests.domain.blackouts import (
    Blackout,
    coverage_sentence,
    first_day_over,
    touched_by,
)


def d(day: int) -> date:
    return date(2026, 12, day)


def blackout(start: int, end: int, mode: str = "block", /, **scope: list[str]) -> Blackout:
    return Blackout(
        id=f"b{start}-{end}-{mode}",
        tenant_id="t",
        name="Year-end close",
        start_date=d(start),
        end_date=d(end),
        mode=mode,
        location_ids=scope.get("location_ids", []),
        department_ids=scope.get("department_ids", []),
        leave_type_ids=scope.get("leave_type_ids", []),
    )


def hits(b: Blackout, start: int, end: int, **who: str | None) -> bool:
    person: dict[str, str | None] = {"location_id": "berlin", "department_id": "eng"}
    person.update(who)
    return b.applies(
        start=d(start),
        end=d(end),
        location_id=person["location_id"],
        department_id=person["department_id"],
        leave_type_id=str(who.get("leave_type_id") or "vacation"),
    )


@pytest.mark.parametrize(
    ("start", "end", "applies"),
    [
        (14, 18, True),  # inside
        (10, 14, True),  # touches only its first day
        (18, 22, True),  # touches only its last day
        (7, 11, False),  # the week before
        (19, 20, False),  # the day after it
        (7, 25, True),  # around it
    ],
)
def test_a_blackout_applies_when_one_day_is_shared(start: int, end: int, applies: bool) -> None:
    assert hits(blackout(14, 18), start, end) is applies


@pytest.mark.parametrize(
    ("scope", "who", "applies"),
    [
        ({}, {}, True),
        ({"location_ids": ["berlin"]}, {}, True),
        ({"location_ids": ["tel-aviv"]}, {}, False),
        ({"location_ids": ["berlin"]}, {"location_id": None}, False),
        ({"department_ids": ["eng"]}, {}, True),
        ({"department_ids": ["sales"]}, {}, False),
        ({"leave_type_ids": ["vacation"]}, {}, True),
        ({"leave_type_ids": ["sick"]}, {}, False),
        # Every list given must hold: location matches, department does not.
        (
            {"location_ids": ["berlin"], "department_ids": ["sales"]},
            {},
            False,
        ),
    ],
)
def test_its_scope_narrows_whom_it_applies_to(
    scope: dict[str, list[str]], who: dict[str, str | None], applies: bool
) -> None:
    assert hits(blackout(14, 18, "block", **scope), 15, 15, **who) is applies


def test_blocking_and_warning_blackouts_are_told_apart_in_date_order() -> None:
    late, warn, early = blackout(21, 23), blackout(16, 16, "warn"), blackout(14, 15)
    touched = touched_by(
        [late, warn, early],
        start=d(15),
        end=d(22),
        location_id="berlin",
        department_id="eng",
        leave_type_id="vacation",
    )
    assert touched.blocking == (early, late)
    assert touched.warnings == (warn,)


def test_the_sentence_names_the_blackout_and_its_dates() -> None:
    assert (
        blackout(14, 18).sentence()
        == "Year-end close (2026-12-14 to 2026-12-18) is a blackout period"
    )
    assert blackout(14, 14).sentence() == "Year-end close (2026-12-14) is a blackout period"


@pytest.mark.parametrize(
    ("start", "end", "mode", "says"), [(18, 14, "block", "end_date"), (14, 18, "sometimes", "mode")]
)
def test_a_bad_blackout_cannot_be_made(start: int, end: int, mode: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        blackout(start, end, mode)


def days(start: int, end: int) -> set[date]:
    return {d(start) + timedelta(days=i) for i in range(end - start + 1)}


@pytest.mark.parametrize(
    ("max_off", "new", "others", "expected"),
    [
        # Two others off on Wed 16: the requester makes three.
        (2, days(14, 18), [("ben", days(16, 16)), ("cy", days(15, 17))], (d(16), 3)),
        (3, days(14, 18), [("ben", days(16, 16)), ("cy", days(15, 17))], None),
        # Nobody else off: one person is within a limit of 1.
        (1, days(14, 18), [], None),
        # The first day over is named, not the worst one.
        (
            1,
            days(14, 18),
            [("ben", days(15, 15)), ("cy", days(17, 17)), ("di", days(17, 17))],
            (d(15), 2),
        ),
        # The requester's own other requests do not count twice.
        (1, days(14, 14), [("ana", days(14, 14))], None),
        # One person with two requests on a day counts once.
        (2, days(14, 14), [("ben", days(14, 14)), ("ben", days(14, 14))], None),
    ],
)
def test_the_first_day_over_the_coverage_limit(
    max_off: int,
    new: set[date],
    others: list[tuple[str, set[date]]],
    expected: tuple[date, int] | None,
) -> None:
    assert first_day_over(max_off, new, others, "ana") == expected


@pytest.mark.parametrize(
    ("max_off", "others", "said"),
    [
        (1, [], None),
        (2, [("ben", days(14, 15))], None),
        (1, [("ben", days(15, 15))], "Sales would have 2 people off on 2026-12-15 (max_off is 1)"),
        (
            2,
            [("ben", days(14, 16)), ("cy", days(16, 16))],
            "Sales would have 3 people off on 2026-12-16 (max_off is 2)",
        ),
    ],
)
def test_the_coverage_sentence_names_the_first_day_over(
    max_off: int, others: list[tuple[str, set[date]]], said: str | None
) -> None:
    assert coverage_sentence("Sales", max_off, days(14, 16), others, "ana") == said

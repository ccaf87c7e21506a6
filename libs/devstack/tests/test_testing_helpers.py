"""`eventually`, the wait used by e2e tests for effects that travel through events."""

from __future__ import annotations

import itertools

import pytest

from leaveflow_devstack.testing import eventually


def test_eventually_returns_the_first_truthy_result() -> None:
    counter = itertools.count()
    assert eventually(lambda: next(counter) >= 3 and "done", interval=0) == "done"


def test_eventually_treats_exceptions_as_not_yet() -> None:
    attempts = iter([KeyError("not there"), None, {"status": "pending"}])

    def check() -> dict[str, str] | None:
        attempt = next(attempts)
        if isinstance(attempt, Exception):
            raise attempt
        return attempt

    assert eventually(check, interval=0) == {"status": "pending"}


def test_eventually_reports_what_and_the_last_failure_when_time_runs_out() -> None:
    def check() -> bool:
        raise LookupError("status is 'submitted'")

    with pytest.raises(AssertionError, match=r"request pending not met within 0.05s.*submitted"):
        eventually(check, timeout=0.05, interval=0.01, what="request pending")

"""When a consumer lease renews: seldom (each renewal is a stream write), never too late."""

from __future__ import annotations

import time
from typing import Any

import pytest

from leaveflow_kit.messaging.lease import ConsumerLease


def lease(ttl: float) -> ConsumerLease:
    js: Any = object()  # never called: only the timing is looked at
    return ConsumerLease(js, "probe", ttl=ttl, holder="host:1")


@pytest.mark.parametrize("ttl", [1.5, 6.0, 30.0])
def test_a_fresh_renewal_holds_two_thirds_of_the_ttl_and_renews_before_it_lapses(
    ttl: float,
) -> None:
    held = lease(ttl)
    asked = time.monotonic()
    held._took(7, asked)
    assert held.held
    assert held._valid_until == pytest.approx(asked + ttl * 2 / 3)
    pause = held._pause()
    # Later than the old fixed ttl/3, and early enough for a round trip before the end.
    assert ttl / 3 < pause < held._valid_until - time.monotonic()
    assert held._valid_until - time.monotonic() - pause >= ttl / 8 - 0.05


def test_a_renewal_that_failed_is_retried_before_the_lease_lapses() -> None:
    held = lease(6.0)
    held._took(7, time.monotonic() - 3.5)  # renewed 3.5 s ago: 0.5 s left
    assert held.held
    assert held._pause() < held._valid_until - time.monotonic()


def test_a_standby_asks_again_within_a_second() -> None:
    standby = lease(6.0)
    assert not standby.held
    assert standby._pause() == 1.0

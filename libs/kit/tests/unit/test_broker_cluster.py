"""The broker on a cluster: NATS_URL as a server pool (nats-py reads one string as one URL,
so a cluster's list of nodes must be split before it gets there), and start-up calls that
meet a cluster still forming are retried, within a budget."""

from __future__ import annotations

import nats.errors
import pytest

from leaveflow_kit.messaging.broker import server_urls, while_forming


def test_one_url_is_a_pool_of_one() -> None:
    assert server_urls("nats://127.0.0.1:4222") == ["nats://127.0.0.1:4222"]


def test_a_comma_separated_list_is_every_node_in_order() -> None:
    got = server_urls("nats://a:4222, nats://b:4222,nats://c:4222,")
    assert got == ["nats://a:4222", "nats://b:4222", "nats://c:4222"]


def test_no_server_at_all_is_an_error() -> None:
    with pytest.raises(ValueError, match="no server"):
        server_urls(" , ")


async def test_a_call_that_meets_a_forming_cluster_is_retried_after_its_undo() -> None:
    attempts: list[str] = []

    async def start() -> str:
        attempts.append("start")
        if len(attempts) < 5:  # two failures, each followed by its undo
            raise nats.errors.TimeoutError
        return "started"

    async def undo() -> None:
        attempts.append("undo")

    assert await while_forming(start, "test", undo=undo) == "started"
    assert attempts == ["start", "undo", "start", "undo", "start"]


async def test_past_the_budget_the_error_stands_and_other_errors_are_not_retried() -> None:
    calls = 0

    async def never() -> None:
        nonlocal calls
        calls += 1
        raise nats.errors.NoRespondersError

    with pytest.raises(nats.errors.NoRespondersError):
        await while_forming(never, "test", budget=0.0)
    assert calls == 1

    async def broken() -> None:
        raise ValueError("a real error")

    with pytest.raises(ValueError, match="a real error"):
        await while_forming(broken, "test")

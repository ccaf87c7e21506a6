"""NATS_URL as a server pool: nats-py reads one string as one URL, so a cluster's list of
nodes must be split before it gets there."""

from __future__ import annotations

import pytest

from leaveflow_kit.messaging.broker import server_urls


def test_one_url_is_a_pool_of_one() -> None:
    assert server_urls("nats://127.0.0.1:4222") == ["nats://127.0.0.1:4222"]


def test_a_comma_separated_list_is_every_node_in_order() -> None:
    got = server_urls("nats://a:4222, nats://b:4222,nats://c:4222,")
    assert got == ["nats://a:4222", "nats://b:4222", "nats://c:4222"]


def test_no_server_at_all_is_an_error() -> None:
    with pytest.raises(ValueError, match="no server"):
        server_urls(" , ")

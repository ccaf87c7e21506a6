"""The outbound address rule (notifications and the web): public addresses only, plus the
operator's allow-list."""

from __future__ import annotations

import ipaddress

import pytest

from leaveflow_kit.outbound import (
    AddressPolicy,
    BadAllowList,
    parse_allow_list,
    why_not_public,
)

REFUSED = {
    "127.0.0.1": "loopback",
    "127.9.9.9": "loopback",
    "::1": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "fd00::1": "private",
    "169.254.169.254": "link-local",
    "fe80::1": "link-local",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "100.64.0.1": "shared (CGNAT)",
    "::ffff:127.0.0.1": "loopback",
    "::ffff:169.254.169.254": "link-local",
    "2002:a00:1::": "private",  # 6to4 of 10.0.0.1
    "240.0.0.1": "private",
}


@pytest.mark.parametrize(("address", "kind"), sorted(REFUSED.items()))
def test_non_public_addresses_are_refused_by_kind(address: str, kind: str) -> None:
    ip = ipaddress.ip_address(address)
    assert why_not_public(ip) == kind
    assert AddressPolicy().refusal(ip) == f"{kind} address"


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert AddressPolicy().refusal(ipaddress.ip_address(address)) is None


def test_the_allow_list_opens_only_its_networks() -> None:
    policy = AddressPolicy.from_setting(" 127.0.0.0/8 , fd00::/64")
    assert policy.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert policy.refusal(ipaddress.ip_address("::ffff:127.0.0.1")) is None
    assert policy.refusal(ipaddress.ip_address("fd00::5")) is None
    assert policy.refusal(ipaddress.ip_address("10.0.0.1")) == "private address"
    assert policy.refusal(ipaddress.ip_address("169.254.169.254")) == "link-local address"


def test_the_allow_list_is_empty_by_default_and_refuses_typos() -> None:
    assert parse_allow_list("") == ()
    assert parse_allow_list(None) == ()
    with pytest.raises(BadAllowList):
        parse_allow_list("127.0.0.0/8,localhost")

"""LEAVEFLOW_OUTBOUND_ALLOW is empty by default everywhere, `make run`'s stack included;
test stacks allow loopback explicitly."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaveflow_devstack import Stack
from leaveflow_notifications.config import Settings


def test_nothing_is_allowed_unless_the_operator_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LEAVEFLOW_OUTBOUND_ALLOW", raising=False)
    assert Settings(data_dir=tmp_path).outbound_allow == ""
    assert "LEAVEFLOW_OUTBOUND_ALLOW" not in Stack(tmp_path).service_env(), "make run"
    allowed = Stack(tmp_path, outbound_allow="127.0.0.0/8").service_env()
    assert allowed["LEAVEFLOW_OUTBOUND_ALLOW"] == "127.0.0.0/8"
    monkeypatch.setenv("LEAVEFLOW_OUTBOUND_ALLOW", "127.0.0.0/8, ::1/128")
    assert Settings(data_dir=tmp_path).outbound_allow == "127.0.0.0/8, ::1/128"


def test_a_typo_in_the_allow_list_stops_the_service(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEAVEFLOW_OUTBOUND_ALLOW", "127.0.0.0/8;10.0.0.0/8")
    with pytest.raises(ValueError, match="CIDR"):
        Settings(data_dir=tmp_path)

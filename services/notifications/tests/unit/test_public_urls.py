"""Links handed to people come from public addresses, never from the internal ones."""

from __future__ import annotations

import pytest

from leaveflow_notifications.config import Settings


def test_open_leaveflow_links_follow_the_webs_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEAVEFLOW_DASHBOARD_URL", raising=False)
    monkeypatch.setenv("WEB_PUBLIC_URL", "https://leave.example.test")
    assert Settings().dashboard_url == "https://leave.example.test"
    # An explicit dashboard URL wins (a dashboard behind another proxy path).
    monkeypatch.setenv("LEAVEFLOW_DASHBOARD_URL", "https://example.test/leave")
    assert Settings().dashboard_url == "https://example.test/leave"


def test_action_links_use_the_public_url_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFICATIONS_URL", "http://notifications:8003")
    monkeypatch.delenv("NOTIFICATIONS_PUBLIC_URL", raising=False)
    assert Settings().base_url == "http://notifications:8003"  # the embedded stack: one address
    monkeypatch.setenv("NOTIFICATIONS_PUBLIC_URL", "https://notify.example.test/")
    assert Settings().base_url == "https://notify.example.test"

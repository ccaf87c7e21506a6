"""What `make run` prints once the stack is up: the dashboard is the place to go."""

from __future__ import annotations

import re
from pathlib import Path

from rich.console import Console

from leaveflow_devstack import Stack
from leaveflow_devstack.run import build_stack, ports_from_env, print_ready


def test_the_ready_message_sends_people_to_the_dashboard(tmp_path: Path) -> None:
    stack = Stack(tmp_path, ports=ports_from_env({"WEB_PORT": "9100"}))
    console = Console(record=True, width=120)
    print_ready(console, stack, 1.0)
    text = console.export_text()
    assert "Open the dashboard: http://127.0.0.1:9100 " in text
    assert re.search(r"web\s+http://127\.0\.0\.1:9100\s+the dashboard: open this", text)


def test_make_run_names_the_dashboard_localhost_for_passkeys(tmp_path: Path) -> None:
    # Browsers refuse WebAuthn on an IP address: the dashboard people open must be a name,
    # and the links in mail and chat (WEB_PUBLIC_URL) must say the same.
    stack = build_stack({"WEB_PORT": "9100"}, data_dir=tmp_path)
    assert stack.dashboard_url == "http://localhost:9100"
    assert stack.service_env()["WEB_PUBLIC_URL"] == "http://localhost:9100"
    assert stack.urls["web"] == "http://127.0.0.1:9100"  # where it listens, and tests call
    console = Console(record=True, width=120)
    print_ready(console, stack, 1.0)
    assert "Open the dashboard: http://localhost:9100 " in console.export_text()


def test_the_web_listens_on_8000_unless_told() -> None:
    assert ports_from_env({})["web"] == 8000

"""The README's curl walkthrough works as written against the real stack."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from uuid import uuid4

import pytest

from leaveflow_devstack import Stack
from leaveflow_kit.testing import WebhookSink

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "walkthrough.sh"


def test_readme_walkthrough_runs_end_to_end(stack: Stack) -> None:
    with WebhookSink() as sink:
        env = {
            **os.environ,
            **{f"{name.upper()}_URL": url for name, url in stack.urls.items()},
            "WEBHOOK_URL": sink.url,
            # The stack is shared with other tests: ada@acme.test may run a company there.
            "ADMIN_EMAIL": f"ada-{uuid4().hex[:8]}@acme.test",
        }
        done = subprocess.run(
            ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].endswith("is pending")
        assert lines[1] == '"approved"'
        balance = json.loads(lines[2])
        assert (balance["used"], balance["pending"], balance["available"]) == (2.5, 0.0, 22.5)
        (off,) = json.loads(lines[3])
        assert (off["employee_name"], off["end_part"]) == ("Ana Lima", "am")
        deadline = time.monotonic() + 10
        # Two messages: "waiting for approval" to the approvers, then the decision to Ana.
        while len(sink.snapshot()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        texts = sorted(call.json()["text"] for call in sink.snapshot())
        assert len(texts) == 2, texts
        assert texts[0].startswith("Ana Lima requests Vacation"), texts
        assert texts[1].startswith("Leave approved"), texts
        # A channel post never carries a decision's note (docs/api.md): that goes to Ana.
        assert "enjoy" not in texts[1], texts

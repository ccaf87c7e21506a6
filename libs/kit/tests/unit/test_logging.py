"""Log lines are JSON with the bound context, and secrets never reach them.

Run in a child process: logging is process-global, and that is how services use it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

PROGRAM = """
import logging
from leaveflow_kit.logging import bound_contextvars, configure, get_logger
configure("probe", "INFO")
with bound_contextvars(correlation_id="c-1"):
    get_logger("x").info("delivery_failed", webhook_url="https://hooks/secret", attempt=2)
    logging.getLogger("uvicorn.error").warning("something %s", "odd")
    logging.getLogger("chatty").debug("below the level")
"""


def run() -> list[dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_our_lines_and_library_lines_are_json_with_the_context() -> None:
    ours, library = run()
    assert (ours["event"], ours["service"], ours["correlation_id"]) == (
        "delivery_failed",
        "probe",
        "c-1",
    )
    assert (library["event"], library["level"], library["correlation_id"]) == (
        "something odd",
        "warning",
        "c-1",
    )


def test_secrets_are_redacted() -> None:
    ours, _ = run()
    assert ours["webhook_url"] == "[redacted]"
    assert "secret" not in json.dumps(ours)

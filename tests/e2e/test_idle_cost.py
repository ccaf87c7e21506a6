"""An idle stack costs almost nothing: little CPU and no store queries but a heartbeat."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import httpx
import pytest

from leaveflow_devstack.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

IDLE_SECONDS = 30.0


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process from /proc, in seconds."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


def store_queries(stack: Stack) -> dict[str, float]:
    out = {}
    for name in ("requests", "balances", "notifications", "calendar"):
        text = httpx.get(stack.urls[name] + "/metrics").text
        pattern = rf'^leaveflow_store_queries_total\{{service="{name}"\}} (\S+)$'
        match = re.search(pattern, text, re.M)
        assert match, f"{name} exposes no store query counter"
        out[name] = float(match.group(1))
    return out


def test_idle_stack_uses_under_two_percent_of_a_core(make_stack: Any) -> None:
    stack: Stack = make_stack()
    time.sleep(3)  # let start-up work (stream declarations, first fetches) settle
    pids = stack.pids
    assert set(pids) >= {"nats", "requests", "balances", "notifications", "calendar"}
    queries_before = store_queries(stack)
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    started = time.monotonic()
    time.sleep(IDLE_SECONDS)
    elapsed = time.monotonic() - started
    cpu_used = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
    queries_after = store_queries(stack)

    share = sum(cpu_used.values()) / elapsed
    assert share < 0.02, f"idle stack used {share:.2%} of a core: {cpu_used}"
    for name, before in queries_before.items():
        # The relay's heartbeat (15 s) and the dispatcher's (30 s) may each poll a
        # couple of times; a runaway loop would show thousands.
        issued = queries_after[name] - before
        assert issued <= 6, f"{name} issued {issued} store queries while idle"

"""Bench stage (h): memory of each service and the stack's CPU while idle, from /proc."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (VmRSS), 0 when it is gone or /proc says nothing."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Resources:
    rss: dict[str, int]  # bytes, per process, after the heaviest stage
    idle_seconds: float
    idle_cpu: dict[str, float]  # share of one core, per process

    @property
    def idle_share(self) -> float:
        return sum(self.idle_cpu.values())


def measure_resources(pids: Mapping[str, int], idle_seconds: float) -> Resources:
    """RSS now, then every process's CPU over `idle_seconds` of doing nothing."""
    rss = {name: rss_bytes(pid) for name, pid in pids.items()}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    started = time.monotonic()
    time.sleep(idle_seconds)
    elapsed = time.monotonic() - started
    idle = {name: (cpu_seconds(pid) - before[name]) / elapsed for name, pid in pids.items()}
    return Resources(rss=rss, idle_seconds=elapsed, idle_cpu=idle)

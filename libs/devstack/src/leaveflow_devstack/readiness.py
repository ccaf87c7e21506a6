"""Waiting for supervised processes to answer: one poll loop for the stack, the NATS
cluster and the replicated stack."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

import httpx

from .process import ManagedProcess

POLL_INTERVAL = 0.05

NotReadyReason = Callable[[httpx.Client, str], str | None]
"""Asks one process whether it is ready: None when it is, else what it last said."""


def wait_until_ready(
    names: Iterable[str],
    processes: Mapping[str, ManagedProcess],
    not_ready: NotReadyReason,
    *,
    timeout: float,
    failure: Callable[[str], Exception],
    timed_out: Callable[[Mapping[str, str]], str],
) -> None:
    """Poll every named process until all are ready; fail fast (``failure``) if one dies,
    and with ``timed_out(pending)`` as the message after ``timeout`` seconds."""
    pending = dict.fromkeys(names, "no answer yet")
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
        while pending:
            for name in list(pending):
                process = processes[name]
                if not process.running:
                    raise failure(
                        f"{name} exited with code {process.returncode} before it was "
                        f"ready; last lines of {process.log_path}:\n{process.tail()}"
                    )
                try:
                    reason = not_ready(client, name)
                except httpx.HTTPError as exc:
                    reason = f"{type(exc).__name__}: {exc}"
                if reason is None:
                    del pending[name]
                else:
                    pending[name] = reason
            if pending and time.monotonic() > deadline:
                raise failure(timed_out(pending))
            if pending:
                time.sleep(POLL_INTERVAL)


def http_ok(url: str, client: httpx.Client) -> str | None:
    """None when `url` answers 200, else the status and the start of the body."""
    response = client.get(url)
    if response.status_code == 200:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}"

"""One supervised child process: its own process group, a log file, and a parent-death signal.

Why each of those:
- Own process group (``start_new_session=True``): ``stop()`` signals the whole group, so a
  child's own children (uvicorn reloaders, shells) go too; and a Ctrl-C in the terminal
  reaches only the supervisor, which then stops the children in order (services before NATS)
  instead of every process racing to die at once.
- Log file, never a pipe: a pipe nobody reads fills up (64 KiB) and blocks the child on its
  next write, which looks like a hung service.
- ``PR_SET_PDEATHSIG``: if the supervisor is SIGKILLed (OOM killer, a test runner's timeout,
  ``kill -9``) it runs no cleanup at all; the kernel then sends SIGTERM to each child, so no
  nats-server or uvicorn is left holding the ports for the next run.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_ROTATE_AT_BYTES = 20 * 1024 * 1024  # logs are appended across runs of a kept data dir
_TAIL_WINDOW_BYTES = 64 * 1024


def _load_prctl() -> Callable[..., int] | None:
    """Resolve libc's prctl once, in the parent: the child runs the preexec hook between
    fork and exec, where loading a library (locks, malloc) is best avoided."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl: Callable[..., int] = libc.prctl
    except (OSError, AttributeError):
        return None
    return prctl


_PRCTL = _load_prctl()


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    """Build the ``preexec_fn`` that asks the kernel to SIGTERM the child when we die.

    Caveat (Linux semantics): the signal fires when the *thread* that forked the child exits,
    not the process. Start stacks from a thread that lives as long as the stack (the main
    thread, a pytest fixture), never from ``asyncio.to_thread`` or a short-lived worker.
    """
    prctl = _PRCTL

    def preexec() -> None:
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        # The parent may have died between fork() and prctl(): no signal would ever come.
        if os.getppid() != parent_pid:
            os._exit(1)

    return preexec


class ManagedProcess:
    """A child process started on demand, logging to ``log_path``; restartable."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log_path: Path,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_path
        self.cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None
        self._log_offset = 0
        self._swept = False

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    @property
    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._popen.poll() if self._popen is not None else None

    def spawn(self) -> None:
        if self.running:
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.log_path.exists() and self.log_path.stat().st_size > _ROTATE_AT_BYTES:
            self.log_path.replace(self.log_path.with_name(self.log_path.name + ".1"))
        # Append, so a restart keeps the previous run's last words next to the new run's.
        with self.log_path.open("ab") as log:
            started = datetime.now(UTC).isoformat(timespec="seconds")
            log.write(f"\n=== {self.name} started {started}: {' '.join(self.argv)}\n".encode())
            log.flush()
            self._log_offset = log.tell()
            self._swept = False
            # The child gets its own dup of the descriptor; ours closes with the block.
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()),
                close_fds=True,
            )

    def send_signal(self, sig: int) -> None:
        """Signal the child's whole process group (its pgid is its pid: new session).

        Only while the leader is not yet reaped: until then its pid cannot be reused, so the
        group we signal is certainly ours.
        """
        if self._popen is None or self._popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, sig)

    def _sweep(self) -> None:
        """SIGKILL group members the exited leader left behind, once, right after reaping.

        The kernel does not hand out a pid still used as a process group id, so while members
        live the id is ours; after this one sweep we never signal that id again.
        """
        if self._popen is None or self._swept or self._popen.poll() is None:
            return
        self._swept = True
        try:
            os.killpg(self._popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return  # no member left
        # SIGKILL is delivered, not done: on a loaded machine a member was still alive when
        # stop() returned. Stop means gone, so wait (briefly) until it is.
        deadline = time.monotonic() + 5.0
        while living_members([self._popen.pid]) and time.monotonic() < deadline:
            time.sleep(0.01)

    def wait(self, timeout: float) -> int | None:
        """Wait for the child to exit; its return code, or None if still running."""
        if self._popen is None:
            return None
        try:
            return self._popen.wait(timeout=max(timeout, 0.0))
        except subprocess.TimeoutExpired:
            return None

    def terminate(self, grace: float) -> int | None:
        """SIGTERM the group, then SIGKILL it if it is still up after ``grace`` seconds."""
        if self._popen is None:
            return None
        if self._popen.poll() is None:
            self.send_signal(signal.SIGTERM)
            if self.wait(grace) is None:
                self.force_kill()
        self._sweep()
        return self._popen.poll()

    def force_kill(self) -> None:
        self.send_signal(signal.SIGKILL)
        self.wait(5.0)

    def tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines this run wrote (earlier runs' output is skipped)."""
        try:
            with self.log_path.open("rb") as log:
                end = log.seek(0, os.SEEK_END)
                log.seek(max(self._log_offset, end - _TAIL_WINDOW_BYTES))
                text = log.read().decode(errors="replace")
        except OSError as exc:
            return f"(cannot read {self.log_path}: {exc})"
        kept = text.splitlines()[-lines:]
        return "\n".join(kept) if kept else "(log is empty)"


def wait_all(processes: Sequence[ManagedProcess], deadline: float) -> list[ManagedProcess]:
    """Wait for several processes against one deadline; those still running."""
    alive = []
    for process in processes:
        if process.wait(deadline - time.monotonic()) is None:
            alive.append(process)
    return alive


def living_members(pgids: Iterable[int]) -> list[int]:
    """Pids of processes (zombies excluded) whose process group is one of ``pgids``.

    Reads /proc, so Linux only; tests use it to prove a stop left nothing behind, including
    grandchildren that ``os.kill(pid, 0)`` on the direct children would not see.
    """
    wanted = set(pgids)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        # Fields after the parenthesised command name: state, ppid, pgrp, ...
        state, _ppid, pgrp = stat.rpartition(")")[2].split()[:3]
        if state != "Z" and int(pgrp) in wanted:
            found.append(int(entry.name))
    return found


def terminate_together(processes: Sequence[ManagedProcess], grace: float) -> None:
    """SIGTERM all at once and share one grace period, so a stop takes one grace, not one
    per process; SIGKILL what is left, then reap (and sweep any group member left)."""
    for process in processes:
        if process.running:
            process.send_signal(signal.SIGTERM)
    for process in wait_all(processes, time.monotonic() + grace):
        process.force_kill()
    for process in processes:
        process.terminate(0)

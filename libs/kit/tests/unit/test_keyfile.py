"""Key files: made once with mode 0600, and concurrent first starts agree on one key."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from leaveflow_kit.keyfile import load_or_create


def test_first_call_creates_a_private_file_later_calls_read_it(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "key.bin"
    made: list[int] = []

    def make() -> bytes:
        made.append(1)
        return os.urandom(32)

    first = load_or_create(path, make)
    again = load_or_create(path, make)
    assert first == again == path.read_bytes()
    assert made == [1]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["key.bin"]  # no temp file left


def test_an_existing_file_wins_over_a_new_key(tmp_path: Path) -> None:
    path = tmp_path / "key.bin"
    path.write_bytes(b"kept")
    assert load_or_create(path, lambda: b"new") == b"kept"


def _start(path: str) -> bytes:
    return load_or_create(Path(path), lambda: os.urandom(32))


def test_processes_starting_at_once_all_get_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "key.bin"
    with ProcessPoolExecutor(max_workers=4) as pool:
        keys = list(pool.map(_start, [str(path)] * 8))
    assert len(set(keys)) == 1
    assert keys[0] == path.read_bytes()


def test_a_key_made_while_another_process_linked_first_yields_that_key(tmp_path: Path) -> None:
    path = tmp_path / "key.bin"

    def make_while_racing() -> bytes:
        path.write_bytes(b"the other replica's")  # it linked its key meanwhile
        return b"ours"

    assert load_or_create(path, make_while_racing) == b"the other replica's"
    assert [p.name for p in tmp_path.iterdir()] == ["key.bin"]

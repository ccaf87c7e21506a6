"""Secrets generated on first start and kept in the data dir (signing keys, master keys).

`load_or_create` writes the new key to a private temporary file (mode 0600), flushes it to
disk, then *links* it into place. A crash never leaves a half-written key behind, and when
two replicas start at once on a shared data dir the first link wins and the other reads
that key: one key for both (a rename would let each keep its own, and what one signs the
other would refuse).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["load_or_create"]


def load_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The bytes kept at `path`; on first use, `make()`'s, stored there with mode 0600."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    content = make()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    except FileExistsError:
        return path.read_bytes()  # another process linked its key first: use that one
    finally:
        tmp.unlink(missing_ok=True)
    return content

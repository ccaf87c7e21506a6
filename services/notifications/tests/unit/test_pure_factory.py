"""Building the app does no I/O: the secret key file is read or created at start-up
(the lifespan), through the kit's key-file helper."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from leaveflow_notifications.adapters.secrets import DeferredBox, FernetBox, load_or_create_key
from leaveflow_notifications.bootstrap import create_app
from leaveflow_notifications.config import Settings


def test_building_the_app_writes_no_file(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError, match="start-up"):
        app.state.secret_box.encrypt("too early")


def test_a_configured_key_needs_no_file(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key()
    app = create_app(Settings(data_dir=tmp_path, secret_key=key.decode()))
    sealed = app.state.secret_box.encrypt("s3cret")
    assert FernetBox(key).decrypt(sealed) == "s3cret"
    assert list(tmp_path.iterdir()) == []


def test_the_key_file_is_private_and_kept_across_starts(tmp_path: Path) -> None:
    path = tmp_path / "data" / "notifications-secret.key"
    first = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == first
    box = DeferredBox()
    box.open(first)
    assert FernetBox(load_or_create_key(path)).decrypt(box.encrypt("kept")) == "kept"

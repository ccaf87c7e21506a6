"""Documenting a service's events builds its app without touching the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from leaveflow_kit.messaging import asyncapi
from leaveflow_kit.settings import ServiceSettings

seen: list[Path] = []


def factory(settings: ServiceSettings | None = None) -> Any:
    assert settings is not None
    seen.append(settings.data_dir)
    app = FastAPI(version="1.0")
    app.state.runtime = type("R", (), {"name": "probe", "consumers": []})()
    return app


def test_of_app_factory_leaves_os_environ_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAVEFLOW_DATA_DIR", "/the/real/data")
    before = dict(os.environ)
    document = asyncapi.of_app_factory(f"{__name__}:factory")
    assert dict(os.environ) == before
    assert document["info"]["title"] == "Leaveflow probe events"
    # The app was built on a throwaway data dir, not the real one.
    assert seen
    assert seen[-1] != Path("/the/real/data")
    assert not seen[-1].exists()  # and it is gone again

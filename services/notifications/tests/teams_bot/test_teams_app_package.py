"""`make teams-app`: the manifest (template and filled-in) against Microsoft's published
schema, and the zip's layout Teams accepts (manifest.json and both icons at the root)."""

from __future__ import annotations

import importlib.util
import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[4]
BUILD = ROOT / "deploy" / "teams" / "build_app.py"
APP_ID = "11111111-2222-3333-4444-555555555555"


def packager() -> ModuleType:
    spec = importlib.util.spec_from_file_location("teams_build_app", BUILD)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_template_matches_the_published_schema() -> None:
    build = packager()
    template: dict[str, Any] = json.loads((ROOT / "deploy/teams/manifest.json").read_text())
    assert build.schema_errors(template) == []
    assert (
        template["manifestVersion"]
        == json.loads(build.SCHEMA.read_text())["properties"]["manifestVersion"]["const"]
    )


def test_the_schema_check_catches_what_teams_would_refuse() -> None:
    build = packager()
    broken = build.manifest_for(APP_ID, "https://leave.example.org")
    del broken["developer"]
    broken["bots"][0]["scopes"] = ["everywhere"]
    errors = build.schema_errors(broken)
    assert any("developer" in e for e in errors)
    assert any(e.startswith("bots/0/scopes") for e in errors)


def test_the_schema_check_catches_a_broken_tab_or_sso_entry() -> None:
    build = packager()
    broken = build.manifest_for(APP_ID, "https://leave.example.org")
    del broken["staticTabs"][0]["entityId"]
    broken["webApplicationInfo"]["id"] = "not-a-guid"
    errors = build.schema_errors(broken)
    assert any(e.startswith("staticTabs/0") and "entityId" in e for e in errors)
    assert any(e.startswith("webApplicationInfo/id") for e in errors)


def test_make_teams_app_writes_the_package(tmp_path: Path) -> None:
    out = tmp_path / "leaveflow-teams.zip"
    env = {
        "TEAMS_APP_ID": APP_ID,
        "LEAVEFLOW_PUBLIC_URL": "https://leave.example.org",
        "TEAMS_APP_OUT": str(out),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, str(BUILD)], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        assert png_size(package.read("color.png")) == (192, 192)
        assert png_size(package.read("outline.png")) == (32, 32)
    assert packager().schema_errors(manifest) == []
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["bots"][0]["scopes"] == ["personal"]
    commands = manifest["bots"][0]["commandLists"][0]["commands"]
    assert [c["title"] for c in commands] == ["request", "balance", "who's off", "help"]
    assert manifest["validDomains"] == ["leave.example.org"]
    tabs = {t["entityId"]: t for t in manifest["staticTabs"]}
    assert [t["name"] for t in manifest["staticTabs"]] == ["My leave", "Team calendar"]
    assert tabs["my-leave"]["contentUrl"] == "https://leave.example.org/teams/tab?page=my-leave"
    assert tabs["team-calendar"]["contentUrl"] == "https://leave.example.org/teams/tab?page=team"
    assert all(t["scopes"] == ["personal"] for t in tabs.values())
    # SSO: Teams asks Entra for a token whose audience is this resource; the web checks it.
    assert manifest["webApplicationInfo"] == {
        "id": APP_ID,
        "resource": f"api://leave.example.org/{APP_ID}",
    }
    assert manifest["developer"]["websiteUrl"] == "https://leave.example.org"


@pytest.mark.parametrize(
    ("app_id", "url", "said"),
    [
        ("not-a-guid", "https://leave.example.org", "badly formed"),
        (APP_ID, "http://leave.example.org", "https://"),
        ("", "https://leave.example.org", "set TEAMS_APP_ID"),
    ],
)
def test_bad_settings_stop_the_build(tmp_path: Path, app_id: str, url: str, said: str) -> None:
    out = tmp_path / "x.zip"
    env = {"TEAMS_APP_ID": app_id, "LEAVEFLOW_PUBLIC_URL": url, "TEAMS_APP_OUT": str(out)}
    done = subprocess.run(
        [sys.executable, str(BUILD)], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert said in done.stderr
    assert not out.exists()

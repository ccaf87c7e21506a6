"""`make teams-app`: the Teams app package (manifest.json + icons in one zip) for this
installation, to upload in Teams ("Apps > Manage your apps > Upload an app") or the
Teams admin center.

    TEAMS_APP_ID=<the Azure Bot's Microsoft App ID> LEAVEFLOW_PUBLIC_URL=https://leave.example.org \
        make teams-app            # -> .data/teams/leaveflow-teams.zip

The template (deploy/teams/manifest.json) names example values; here the app id (the bot's
and the tab's SSO `webApplicationInfo`) and the dashboard's host (the "My leave" and "Team
calendar" tabs, the SSO resource `api://<host>/<app id>`, valid domains, the developer
links) are filled in, and the manifest is
checked against Microsoft's published schema (vendored in deploy/teams/schema/) before
anything is written. The icons are drawn here (stdlib PNG),
so the package needs no image files in the repository.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "manifest.json"
SCHEMA = HERE / "schema" / "MicrosoftTeams.schema.json"
EXAMPLE_ID = "00000000-0000-0000-0000-000000000000"
EXAMPLE_HOST = "leaveflow.example.com"
ACCENT = (0x2F, 0x6F, 0x4E)


def png(width: int, height: int, pixel: Any) -> bytes:
    """An RGBA PNG whose pixel (x, y) is `pixel(x, y)` -> (r, g, b, a)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _in_leaf(x: int, y: int, size: int) -> bool:
    """A leaf-ish "L": the mark both icons draw."""
    unit = size / 8
    return (2 * unit <= x < 3.5 * unit and 1.5 * unit <= y < 6.5 * unit) or (
        2 * unit <= x < 6 * unit and 5 * unit <= y < 6.5 * unit
    )


def color_icon() -> bytes:
    """192x192, full colour: the accent with the mark in white."""
    white, accent = (255, 255, 255, 255), (*ACCENT, 255)
    return png(192, 192, lambda x, y: white if _in_leaf(x, y, 192) else accent)


def outline_icon() -> bytes:
    """32x32, white on transparent, as Teams requires for the outline icon."""
    return png(32, 32, lambda x, y: (255, 255, 255, 255) if _in_leaf(x, y, 32) else (0, 0, 0, 0))


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    import jsonschema_rs

    validator = jsonschema_rs.Draft4Validator(json.loads(SCHEMA.read_text()))
    errors = validator.iter_errors(manifest)
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in errors]


def manifest_for(app_id: str, public_url: str, version: str = "1.0.0") -> dict[str, Any]:
    uuid.UUID(app_id)  # Teams wants a GUID: a typo stops here, not at upload
    parts = urlsplit(public_url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("LEAVEFLOW_PUBLIC_URL must be the dashboard's https:// address")
    host = parts.netloc
    text = TEMPLATE.read_text()
    text = text.replace(EXAMPLE_ID, app_id).replace(EXAMPLE_HOST, host)
    manifest: dict[str, Any] = json.loads(text)
    manifest["version"] = version
    return manifest


def build(app_id: str, public_url: str, out: Path) -> Path:
    manifest = manifest_for(app_id, public_url)
    errors = schema_errors(manifest)
    if errors:
        raise ValueError("the manifest does not match the Teams schema:\n" + "\n".join(errors))
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        # Teams wants the three files at the root of the zip, no folder.
        package.writestr("manifest.json", json.dumps(manifest, indent=2) + "\n")
        package.writestr(manifest["icons"]["color"], color_icon())
        package.writestr(manifest["icons"]["outline"], outline_icon())
    return out


def main() -> int:
    app_id = os.environ.get("TEAMS_APP_ID", "")
    public_url = os.environ.get("LEAVEFLOW_PUBLIC_URL") or os.environ.get("WEB_PUBLIC_URL", "")
    out = Path(os.environ.get("TEAMS_APP_OUT", ".data/teams/leaveflow-teams.zip"))
    if not app_id or not public_url:
        needed = "set TEAMS_APP_ID and LEAVEFLOW_PUBLIC_URL (the dashboard's https URL)"
        print(needed, file=sys.stderr)
        return 2
    try:
        written = build(app_id, public_url, out)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"wrote {written}: upload it in Teams (Apps > Manage your apps > Upload an app)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

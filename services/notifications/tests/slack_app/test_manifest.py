"""The Slack app manifest: only keys Slack documents for a manifest (api.slack.com,
"App manifest reference", mirrored by @slack/web-api's `Manifest` type), every URL on our
routes, and `make slack-manifest`'s rendering with an installation's URLs."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import yaml
from cryptography.fernet import Fernet

from leaveflow_notifications.bootstrap import create_app
from leaveflow_notifications.config import Settings

ROOT = Path(__file__).resolve().parents[4]
MANIFEST = ROOT / "deploy" / "slack" / "manifest.yml"
RENDER = ROOT / "deploy" / "slack" / "render_manifest.py"

# Section -> the keys Slack documents in it (a typo there is silently ignored by Slack).
DOCUMENTED: dict[str, set[str]] = {
    "": {"_metadata", "display_information", "features", "oauth_config", "settings", "functions"},
    "_metadata": {"major_version", "minor_version"},
    "display_information": {"name", "description", "background_color", "long_description"},
    "features": {
        "app_home",
        "bot_user",
        "shortcuts",
        "slash_commands",
        "unfurl_domains",
        "workflow_steps",
        "rich_previews",
        "assistant_view",
    },
    "features.app_home": {
        "home_tab_enabled",
        "messages_tab_enabled",
        "messages_tab_read_only_enabled",
    },
    "features.bot_user": {"display_name", "always_online"},
    "features.slash_commands[]": {"command", "url", "description", "usage_hint", "should_escape"},
    "oauth_config": {"redirect_urls", "scopes", "token_management_enabled"},
    "oauth_config.scopes": {"bot", "user", "bot_optional", "user_optional"},
    "settings": {
        "allowed_ip_address_ranges",
        "event_subscriptions",
        "interactivity",
        "org_deploy_enabled",
        "socket_mode_enabled",
        "token_rotation_enabled",
        "is_hosted",
        "function_runtime",
        "incoming_webhooks",
        "siws_links",
    },
    "settings.event_subscriptions": {
        "request_url",
        "bot_events",
        "user_events",
        "metadata_subscriptions",
    },
    "settings.interactivity": {"is_enabled", "request_url", "message_menu_options_url"},
}


def _section(doc: dict[str, Any], path: str) -> list[dict[str, Any]]:
    node: Any = doc
    for part in [p for p in path.split(".") if p]:
        node = node[part.removesuffix("[]")]
    return list(node) if path.endswith("[]") else [node]


def _manifest() -> dict[str, Any]:
    doc = yaml.safe_load(MANIFEST.read_text())
    assert isinstance(doc, dict)
    return doc


def test_the_manifest_uses_only_documented_keys() -> None:
    doc = _manifest()
    for path, allowed in DOCUMENTED.items():
        for section in _section(doc, path):
            assert set(section) <= allowed, (path, set(section) - allowed)
    assert doc["display_information"]["name"]
    assert doc["_metadata"]["major_version"] == 1


def test_the_manifest_asks_for_what_the_app_uses() -> None:
    doc = _manifest()
    features, settings = doc["features"], doc["settings"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert [c["command"] for c in features["slash_commands"]] == ["/vacation"]
    assert settings["interactivity"]["is_enabled"] is True
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }
    scopes = doc["oauth_config"]["scopes"]
    assert {"chat:write", "commands"} <= set(scopes["bot"])
    # The status while away, and "Sign in with Slack" (OpenID) on the dashboard.
    assert {"users.profile:write", "openid", "email", "profile"} <= set(scopes["user"])


async def test_every_url_of_the_manifest_is_a_route_we_serve(tmp_path: Path) -> None:
    doc = _manifest()
    base = "https://notifications.leaveflow.example"
    # Slack POSTs commands, interactions and events; the OAuth redirect is a GET.
    urls = [
        ("POST", doc["features"]["slash_commands"][0]["url"]),
        ("POST", doc["settings"]["interactivity"]["request_url"]),
        ("POST", doc["settings"]["event_subscriptions"]["request_url"]),
        *[("GET", u) for u in doc["oauth_config"]["redirect_urls"] if u.startswith(base)],
    ]
    app = create_app(Settings(data_dir=tmp_path, secret_key=Fernet.generate_key().decode()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base) as client:
        for method, url in urls:
            assert url.startswith(base + "/")
            answer = await client.request(method, url.removeprefix(base))
            # Unsigned or without a state: refused, but by our route (not 404 / 405).
            assert answer.status_code in (400, 401), (url, answer.status_code)
    # The dashboard's redirect is its OpenID callback ("Continue with Slack").
    assert "https://leaveflow.example/auth/oidc/callback" in doc["oauth_config"]["redirect_urls"]


def test_make_slack_manifest_fills_in_the_public_urls(tmp_path: Path) -> None:
    out = tmp_path / "slack-manifest.yml"
    subprocess.run(
        [
            sys.executable,
            str(RENDER),
            "--notifications-url",
            "https://notify.acme.test/",
            "--dashboard-url",
            "https://leave.acme.test",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    rendered = yaml.safe_load(out.read_text())
    assert rendered["settings"]["event_subscriptions"]["request_url"] == (
        "https://notify.acme.test/slack/events"
    )
    assert rendered["oauth_config"]["redirect_urls"] == [
        "https://notify.acme.test/slack/oauth_redirect",
        "https://leave.acme.test/auth/oidc/callback",
    ]
    assert "leaveflow.example" not in out.read_text()


def test_slack_refuses_plain_http_so_the_renderer_does_too(tmp_path: Path) -> None:
    main = runpy.run_path(str(RENDER))["main"]
    code = main(
        [
            "--notifications-url",
            "http://x.test",
            "--dashboard-url",
            "https://y.test",
            "--out",
            str(tmp_path / "m.yml"),
        ]
    )
    assert code == 2
    assert not (tmp_path / "m.yml").exists()

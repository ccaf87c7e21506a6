"""Saving a destination: internal addresses are refused with a 422 naming the field (the
app here allows 127.0.0.0/8 only, for the sinks)."""

from __future__ import annotations

import pytest

from leaveflow_kit.testing import WebhookSink

from .conftest import SIGNING, App

INTERNAL = [
    "http://10.0.0.5/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]:8002/v1/policies",
    "http://[::ffff:169.254.169.254]/",
    "http://100.64.1.1/",
    "http://0.0.0.0:8002/",
    "https://192.168.1.10/",
]


@pytest.mark.parametrize("url", INTERNAL)
async def test_an_internal_webhook_is_refused_for_slack_and_teams(app: App, url: str) -> None:
    slack = await app.http.put(
        "/v1/integrations/slack",
        json={"team_id": "T1", "webhook_url": url, "signing_secret": SIGNING},
        headers=app.auth(),
    )
    assert slack.status_code == 422, slack.text
    assert [e["field"] for e in slack.json()["errors"]] == ["webhook_url"]
    teams = await app.http.put(
        "/v1/integrations/teams",
        json={"aad_tenant_id": "aad-1", "webhook_url": url},
        headers=app.auth(),
    )
    assert teams.status_code == 422, teams.text
    assert [e["field"] for e in teams.json()["errors"]] == ["webhook_url"]
    listed = await app.http.get("/v1/integrations", headers=app.auth())
    assert listed.json() == {"slack": None, "teams": None, "email": None}


@pytest.mark.parametrize("host", ["10.1.2.3", "169.254.169.254", "::1", "fd00::1"])
async def test_an_internal_smtp_host_is_refused(app: App, host: str) -> None:
    response = await app.http.put(
        "/v1/integrations/email",
        json={"smtp_host": host, "smtp_port": 25, "from": "lf@t1.test"},
        headers=app.auth(),
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["smtp_host"]


async def test_an_allowed_sink_is_accepted(app: App, sink: WebhookSink) -> None:
    response = await app.http.put(
        "/v1/integrations/teams",
        json={"aad_tenant_id": "aad-1", "webhook_url": sink.url},
        headers=app.auth(),
    )
    assert response.status_code == 200, response.text


async def test_a_non_admin_learns_nothing_about_addresses(app: App) -> None:
    response = await app.http.put(
        "/v1/integrations/email",
        json={"smtp_host": "10.1.2.3", "smtp_port": 25, "from": "lf@t1.test"},
        headers=app.auth("t1-ana", role="user"),
    )
    assert response.status_code == 403

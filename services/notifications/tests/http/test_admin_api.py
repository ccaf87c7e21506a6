"""The admin API's rules, in-process over the memory store (milliseconds per call): who
may call what, what a tenant sees of another (nothing), the delivery log's paging, and
integration settings that come back while their secrets never do."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import App

SLACK = {
    "team_id": "T1",
    "bot_token": "xoxb-very-secret",
    "webhook_url": "http://127.0.0.1:9/hooks/slack-secret-path",
    "signing_secret": "slack-signing-secret",
    "channel": "C-general",
    "digest_time": "08:30",
}
TEAMS = {
    "aad_tenant_id": "aad-1",
    "webhook_url": "http://127.0.0.1:9/hooks/teams-secret-path",
    "outgoing_webhook_secret": "dGVhbXMtc2VjcmV0",
}
EMAIL = {
    "smtp_host": "smtp.t1.test",
    "smtp_port": 587,
    "from": "leave@t1.test",
    "username": "mailer-login-7",
    "password": "smtp-password",
    "starttls": True,
}
SECRETS = (
    "xoxb-very-secret",
    "slack-secret-path",
    "slack-signing-secret",
    "teams-secret-path",
    "dGVhbXMtc2VjcmV0",
    "smtp-password",
)

ADMIN_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("PUT", "/v1/integrations/slack", SLACK),
    ("PUT", "/v1/integrations/teams", TEAMS),
    ("PUT", "/v1/integrations/email", EMAIL),
    ("GET", "/v1/integrations", None),
    ("GET", "/v1/deliveries", None),
    ("POST", "/v1/deliveries/any/retry", None),
    ("PUT", "/v1/preferences/t1-bo", {"slack": False}),
    ("POST", "/v1/integrations/slack/test", None),
]


@pytest.mark.parametrize(("method", "url", "body"), ADMIN_ROUTES)
async def test_admin_routes_need_a_token_and_the_admin_role(
    app: App, method: str, url: str, body: dict[str, Any] | None
) -> None:
    anonymous = await app.http.request(method, url, json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    as_user = await app.http.request(method, url, json=body, headers=app.auth("t1-ana", "user"))
    assert as_user.status_code == 403


async def test_a_forged_token_is_401(app: App) -> None:
    header = app.auth()["authorization"]
    forged = {"authorization": header[:-6] + "AAAAAA"}
    assert (await app.http.get("/v1/integrations", headers=forged)).status_code == 401


def _no_secret_in(text: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert leaked == []


async def test_settings_come_back_and_secrets_never_do(app: App) -> None:
    slack = await app.http.put("/v1/integrations/slack", json=SLACK, headers=app.auth())
    assert slack.status_code == 200, slack.text
    _no_secret_in(slack.text)
    assert slack.json() == {
        "slack": {
            "tenant_id": "t1",
            "team_id": "T1",
            "channel": "C-general",
            "digest_time": "08:30",
            "has_bot_token": True,
            "has_webhook_url": True,
            "has_signing_secret": True,
        }
    }
    teams = await app.http.put("/v1/integrations/teams", json=TEAMS, headers=app.auth())
    assert teams.status_code == 200, teams.text
    _no_secret_in(teams.text)
    assert teams.json()["teams"]["has_outgoing_webhook_secret"] is True
    email = await app.http.put("/v1/integrations/email", json=EMAIL, headers=app.auth())
    assert email.status_code == 200, email.text
    _no_secret_in(email.text)
    assert email.json()["email"]["from"] == "leave@t1.test"
    assert email.json()["email"]["has_password"] is True
    assert email.json()["email"]["has_username"] is True
    assert "mailer-login-7" not in email.text, "the SMTP username is a credential too"

    listed = await app.http.get("/v1/integrations", headers=app.auth())
    assert listed.status_code == 200
    _no_secret_in(listed.text)
    body = listed.json()
    assert body["slack"] == slack.json()["slack"]
    assert body["teams"]["aad_tenant_id"] == "aad-1"
    assert (body["email"]["smtp_port"], body["email"]["starttls"]) == (587, True)
    assert "mailer-login-7" not in listed.text
    assert "username" not in body["email"]
    _no_secret_in(str(await app.world.store.find("integrations", {})))  # at rest too


async def test_a_tenant_sees_and_takes_nothing_of_anothers_integrations(app: App) -> None:
    assert (await app.http.put("/v1/integrations/slack", json=SLACK, headers=app.auth())).is_success
    t2 = app.auth("t2-cy", tenant="t2")
    listed = await app.http.get("/v1/integrations", headers=t2)
    assert listed.json() == {"slack": None, "teams": None, "email": None}
    taken = await app.http.put("/v1/integrations/slack", json=SLACK, headers=t2)
    assert taken.status_code == 409
    own = await app.http.put("/v1/integrations/slack", json={**SLACK, "team_id": "T2"}, headers=t2)
    assert own.status_code == 200
    mine = await app.http.get("/v1/integrations", headers=app.auth())
    assert mine.json()["slack"]["team_id"] == "T1"


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/v1/integrations/slack", {"team_id": "T1", "signing_secret": "s"}, "bot_token"),
        ("/v1/integrations/slack", {**SLACK, "digest_time": "25:00"}, "digest_time"),
        ("/v1/integrations/slack", {**SLACK, "webhook_url": "not a url"}, "webhook_url"),
        ("/v1/integrations/teams", {"aad_tenant_id": "a"}, "webhook_url"),
        ("/v1/integrations/email", {**EMAIL, "smtp_port": 0}, "smtp_port"),
    ],
)
async def test_bad_settings_are_422_naming_the_field(
    app: App, url: str, body: dict[str, Any], field: str
) -> None:
    response = await app.http.put(url, json=body, headers=app.auth())
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
    assert (await app.http.get("/v1/integrations", headers=app.auth())).json()["slack"] is None


async def _deliveries(app: App, count: int) -> None:
    """`count` pending requests, each one Slack delivery to Bo (Ana's approver)."""
    hook = {"team_id": "T1", "webhook_url": "http://127.0.0.1:9/", "signing_secret": "s"}
    assert (await app.http.put("/v1/integrations/slack", json=hook, headers=app.auth())).is_success
    for n in range(count):
        await app.world.feed(app.world.pending(request_id=f"r{n}"))


async def test_the_delivery_log_pages_with_a_cursor(app: App) -> None:
    await _deliveries(app, 5)
    seen: list[str] = []
    sizes = []
    cursor: str | None = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = await app.http.get("/v1/deliveries", params=params, headers=app.auth())
        assert page.status_code == 200
        body = page.json()
        sizes.append(len(body["items"]))
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sizes == [2, 2, 1]
    assert len(set(seen)) == 5
    item = body["items"][0]
    assert item["event"] == {"id": item["event_id"], "type": "LeavePending"}
    assert {"payload", "claim", "claimed_until", "trace"}.isdisjoint(item)


async def test_a_tenant_sees_none_of_anothers_deliveries(app: App) -> None:
    await _deliveries(app, 2)
    t2 = app.auth("t2-cy", tenant="t2")
    listed = await app.http.get("/v1/deliveries", headers=t2)
    assert listed.json() == {"items": [], "next_cursor": None}
    (item, _) = (await app.http.get("/v1/deliveries", headers=app.auth())).json()["items"]
    stolen = await app.http.post(f"/v1/deliveries/{item['id']}/retry", headers=t2)
    assert stolen.status_code == 404


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=1001", "status=bogus", "channel=fax", "cursor=" + "x" * 201]
)
async def test_bad_paging_or_filters_are_422(app: App, query: str) -> None:
    response = await app.http.get(f"/v1/deliveries?{query}", headers=app.auth())
    assert response.status_code == 422


async def test_retrying_an_unknown_delivery_is_404(app: App) -> None:
    response = await app.http.post("/v1/deliveries/nope/retry", headers=app.auth())
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_preferences_stay_inside_the_tenant_and_take_only_channels(app: App) -> None:
    t2 = app.auth("t2-cy", tenant="t2")
    foreign = await app.http.put("/v1/preferences/t1-ana", json={"email": False}, headers=t2)
    assert foreign.status_code == 404
    unknown_field = await app.http.put(
        "/v1/preferences/t1-ana", json={"fax": True}, headers=app.auth()
    )
    assert unknown_field.status_code == 422
    saved = await app.http.put("/v1/preferences/t1-ana", json={"email": False}, headers=app.auth())
    assert saved.json() == {
        "tenant_id": "t1",
        "employee_id": "t1-ana",
        "slack": True,
        "teams": True,
        "email": False,
        "level_updates": False,
        "language": None,
    }


async def test_a_webhook_only_slack_needs_no_signing_secret(app: App) -> None:
    """Posting to a channel takes only the webhook; the signing secret verifies inbound
    commands, so it can wait until those are switched on."""
    hook = {"webhook_url": SLACK["webhook_url"], "channel": "C-general"}
    saved = await app.http.put("/v1/integrations/slack", json=hook, headers=app.auth())
    assert saved.status_code == 200, saved.text
    slack = saved.json()["slack"]
    assert (slack["has_webhook_url"], slack.get("has_signing_secret", False)) == (True, False)
    empty = await app.http.put(
        "/v1/integrations/slack", json={**hook, "signing_secret": ""}, headers=app.auth()
    )
    assert empty.status_code == 422
    assert [e["field"] for e in empty.json()["errors"]] == ["signing_secret"]


async def test_a_test_message_goes_through_the_integration_and_says_why_it_failed(
    app: App,
) -> None:
    missing = await app.http.post("/v1/integrations/teams/test", headers=app.auth())
    assert missing.status_code == 404  # not set up: nothing to test
    hook = {"webhook_url": "http://127.0.0.1:9/hooks/nobody-listens"}
    assert (await app.http.put("/v1/integrations/slack", json=hook, headers=app.auth())).is_success
    tried = await app.http.post("/v1/integrations/slack/test", headers=app.auth())
    assert tried.status_code == 200, tried.text
    answer = tried.json()
    assert answer["sent"] is False
    assert answer["error"].startswith("network:")  # the standard reason, never the peer's
    assert (await app.http.get("/v1/deliveries", headers=app.auth())).json()["items"] == []
    unknown = await app.http.post("/v1/integrations/fax/test", headers=app.auth())
    assert unknown.status_code == 422

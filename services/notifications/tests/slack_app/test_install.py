""" "Add to Slack": the install link, the redirect to Slack with a state, the OAuth
callback against a local `oauth.v2.access`, tokens sealed at rest, and the refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from leaveflow_notifications.service_layer.collections import SLACK_USERS
from leaveflow_notifications.service_layer.slack_app.install import STATE_COOKIE

from .conftest import CLIENT_ID, CLIENT_SECRET, SlackApi, SlackApp, SlackAppFactory

INSTALLED = {
    "ok": True,
    "app_id": "A1",
    "token_type": "bot",
    "access_token": "xoxb-bot-token",
    "bot_user_id": "UBOT",
    "scope": "chat:write,commands,im:write,users:read",
    "team": {"id": "T1", "name": "Acme"},
    "authed_user": {
        "id": "U_CY",
        "scope": "users.profile:write",
        "access_token": "xoxp-cy-token",
        "token_type": "user",
    },
}


async def _start(app: SlackApp) -> tuple[str, httpx.Response]:
    """The admin's link followed to Slack: (state, our redirect answer)."""
    link = await app.http.get("/v1/integrations/slack/install", headers=app.auth())
    assert link.status_code == 200
    url = urlsplit(link.json()["url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://notify.test/slack/install"
    redirect = await app.http.get(f"{url.path}?{url.query}")
    assert redirect.status_code == 302
    target = urlsplit(redirect.headers["location"])
    query = {k: v[0] for k, v in parse_qs(target.query, keep_blank_values=True).items()}
    assert f"{target.scheme}://{target.netloc}{target.path}" == (
        "https://slack.test/oauth/v2/authorize"
    )
    assert query["client_id"] == CLIENT_ID
    assert query["scope"] == "chat:write,commands,im:write,users:read"
    assert query["user_scope"] == "users.profile:read,users.profile:write"
    assert query["redirect_uri"] == "https://notify.test/slack/oauth_redirect"
    assert app.http.cookies.get(STATE_COOKIE) == query["state"]
    return query["state"], redirect


async def test_add_to_slack_keeps_the_bot_and_the_installers_token_sealed(
    slack_app: SlackApp, slack_api: SlackApi
) -> None:
    slack_api.answer("oauth.v2.access", INSTALLED)
    state, _ = await _start(slack_app)

    done = await slack_app.http.get(f"/slack/oauth_redirect?code=the-code&state={state}")

    assert done.status_code == 303
    assert done.headers["location"] == "https://dash.test/admin/integrations?slack=installed"
    [exchange] = slack_api.sent("oauth.v2.access")
    assert exchange.form() == {
        "code": "the-code",
        "redirect_uri": "https://notify.test/slack/oauth_redirect",
    }
    # slack_sdk sends the client credentials as HTTP Basic auth.
    assert (
        httpx.BasicAuth(CLIENT_ID, CLIENT_SECRET)._auth_header == exchange.headers["Authorization"]
    )
    world = slack_app.world
    stored = await world.store.get("integrations", "t1:slack")
    assert stored["team_id"] == "T1"
    assert stored["bot_user_id"] == "UBOT"
    assert "xoxb" not in str(stored)
    assert world.box.decrypt(stored["bot_token"]) == "xoxb-bot-token"
    [user] = await world.store.find(SLACK_USERS, {"team_id": "T1"})
    assert user["slack_user_id"] == "U_CY"
    assert user["status"] is True
    assert "xoxp" not in str(user)
    assert world.box.decrypt(user["user_token"]) == "xoxp-cy-token"
    listed = await slack_app.http.get("/v1/integrations", headers=slack_app.auth())
    assert listed.json()["slack"]["has_bot_token"] is True
    assert "xoxb" not in listed.text


async def test_a_state_from_another_browser_or_used_twice_is_refused(
    slack_app: SlackApp, slack_api: SlackApi
) -> None:
    slack_api.answer("oauth.v2.access", INSTALLED)
    state, _ = await _start(slack_app)
    cookie = slack_app.http.cookies.get(STATE_COOKIE)
    slack_app.http.cookies.clear()

    other_browser = await slack_app.http.get(f"/slack/oauth_redirect?code=c&state={state}")
    assert other_browser.status_code == 400
    assert "does not belong to an install started in this browser" in other_browser.text

    slack_app.http.cookies.set(STATE_COOKIE, "forged", path="/slack/oauth_redirect")
    mismatch = await slack_app.http.get(f"/slack/oauth_redirect?code=c&state={state}")
    assert mismatch.status_code == 400
    assert slack_api.sent("oauth.v2.access") == []

    slack_app.http.cookies.set(STATE_COOKIE, str(cookie), path="/slack/oauth_redirect")
    first = await slack_app.http.get(f"/slack/oauth_redirect?code=c&state={state}")
    assert first.status_code == 303
    slack_app.http.cookies.set(STATE_COOKIE, str(cookie), path="/slack/oauth_redirect")
    again = await slack_app.http.get(f"/slack/oauth_redirect?code=c&state={state}")
    assert again.status_code == 400
    assert "finished already" in again.text
    assert len(slack_api.sent("oauth.v2.access")) == 1


async def test_an_expired_state_or_link_is_refused(
    slack_app: SlackApp, slack_api: SlackApi
) -> None:
    slack_api.answer("oauth.v2.access", INSTALLED)
    state, _ = await _start(slack_app)
    slack_app.world.clock.advance(timedelta(minutes=11))
    late = await slack_app.http.get(f"/slack/oauth_redirect?code=c&state={state}")
    assert late.status_code == 400
    assert slack_api.sent("oauth.v2.access") == []

    link = await slack_app.http.get("/v1/integrations/slack/install", headers=slack_app.auth())
    slack_app.world.clock.advance(timedelta(minutes=16))
    stale = await slack_app.http.get(link.json()["url"].removeprefix("https://notify.test"))
    assert stale.status_code == 400
    assert "expired" in stale.text
    forged = await slack_app.http.get("/slack/install?ticket=not-a-ticket")
    assert forged.status_code == 400


async def test_slack_refusing_the_code_changes_nothing(
    slack_app: SlackApp, slack_api: SlackApi
) -> None:
    slack_api.answer("oauth.v2.access", {"ok": False, "error": "invalid_code"})
    state, _ = await _start(slack_app)
    done = await slack_app.http.get(f"/slack/oauth_redirect?code=bad&state={state}")
    assert done.status_code == 400
    assert "invalid_code" in done.text
    assert await slack_app.world.store.get("integrations", "t1:slack") is None


async def test_a_workspace_of_another_company_is_not_taken_over(
    slack_app: SlackApp, slack_api: SlackApi
) -> None:
    await slack_app.world.connect("slack", tenant="t2", team_id="T1", bot_token="xoxb-theirs")
    slack_api.answer("oauth.v2.access", INSTALLED)
    state, _ = await _start(slack_app)
    done = await slack_app.http.get(f"/slack/oauth_redirect?code=c&state={state}")
    assert done.status_code == 400
    assert "another Leaveflow company" in done.text
    assert await slack_app.world.store.get("integrations", "t1:slack") is None


async def test_reinstalling_keeps_the_admins_channel_settings(
    slack_app: SlackApp, slack_api: SlackApi, sink: Any
) -> None:
    await slack_app.world.integrations.connect(
        "t1",
        "slack",
        {"team_id": "T1", "webhook_url": sink.url, "channel": "#leave", "signing_secret": "own"},
    )
    slack_api.answer("oauth.v2.access", INSTALLED)
    state, _ = await _start(slack_app)
    assert (await slack_app.http.get(f"/slack/oauth_redirect?code=c&state={state}")).is_redirect
    stored = await slack_app.world.store.get("integrations", "t1:slack")
    box = slack_app.world.box
    assert stored["channel"] == "#leave"
    assert box.decrypt(stored["webhook_url"]) == sink.url
    assert box.decrypt(stored["signing_secret"]) == "own"


async def test_only_admins_get_an_install_link_and_only_with_a_slack_app(
    slack_app: SlackApp, make_slack_app: SlackAppFactory
) -> None:
    user = await slack_app.http.get(
        "/v1/integrations/slack/install", headers=slack_app.auth("t1-ana", "user")
    )
    assert user.status_code == 403
    bare = await make_slack_app(slack_client_id="")
    answer = await bare.http.get("/v1/integrations/slack/install", headers=bare.auth())
    assert answer.status_code == 404
    assert (await bare.http.get("/slack/install?ticket=x")).status_code == 404


async def test_saving_the_form_after_add_to_slack_keeps_the_install(
    slack_app: SlackApp, slack_api: SlackApi, sink: Any
) -> None:
    slack_api.answer("oauth.v2.access", INSTALLED)
    state, _ = await _start(slack_app)
    assert (await slack_app.http.get(f"/slack/oauth_redirect?code=c&state={state}")).is_redirect
    saved = await slack_app.http.put(
        "/v1/integrations/slack",
        json={"webhook_url": sink.url, "channel": "#leave"},
        headers=slack_app.auth(),
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["slack"]["has_bot_token"] is True
    box, store = slack_app.world.box, slack_app.world.store
    stored = await store.get("integrations", "t1:slack")
    assert stored["team_id"] == "T1"
    assert stored["channel"] == "#leave"
    assert box.decrypt(stored["bot_token"]) == "xoxb-bot-token"

    # Naming another workspace is a new, hand-wired connection: the app's token goes.
    other = await slack_app.http.put(
        "/v1/integrations/slack",
        json={"team_id": "T9", "webhook_url": sink.url, "signing_secret": "own"},
        headers=slack_app.auth(),
    )
    assert other.status_code == 200, other.text
    stored = await store.get("integrations", "t1:slack")
    assert stored["team_id"] == "T9"
    assert stored.get("bot_token") is None

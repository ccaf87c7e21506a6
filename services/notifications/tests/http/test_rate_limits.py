"""Slack/Teams inbound (bucket "inbound") and the link endpoints (bucket "links") answer
429 with Retry-After past their limit; the standing lookup acts on the replica's view."""

from __future__ import annotations

import json
from datetime import timedelta

from leaveflow_contracts import EmployeeUpserted
from leaveflow_kit.http.limits import RateLimit, RateLimiter

from .conftest import App


def _low_limits(app: App) -> None:
    app.app.state.rate_limiter = RateLimiter(
        {"links": RateLimit(3, 60), "inbound": RateLimit(3, 60)}
    )
    app.app.state.trust_proxy = False


async def test_link_endpoints_are_rate_limited(app: App) -> None:
    _low_limits(app)
    bo = app.auth("t1-bo", "approver")
    answers = [
        (await app.http.get(f"/v1/actions/forged-{n}", headers=bo)).status_code for n in range(3)
    ]
    assert answers == [404, 404, 404]
    limited = await app.http.get("/v1/actions/forged-4", headers=bo)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert (await app.http.post("/actions/forged-5")).status_code == 429, "one bucket"


async def test_slack_and_teams_inbound_are_rate_limited_per_workspace(app: App) -> None:
    _low_limits(app)
    for _ in range(3):
        answer = await app.slack("/slack/commands", {"team_id": "T-X", "text": "help"})
        assert answer.status_code == 401  # no such workspace: counted all the same
    assert (await app.slack("/slack/commands", {"team_id": "T-X"})).status_code == 429
    teams = json.dumps({"channelData": {"tenant": {"id": "aad-x"}}})
    assert (await app.http.post("/teams/messages", content=teams)).status_code == 429, (
        "the same address: its bucket is spent"
    )


async def test_a_departed_employee_is_refused_and_roles_are_current(app: App) -> None:
    await app.world.feed(
        EmployeeUpserted(
            employee_id="t1-ex",
            name="Ex Admin",
            email="ex@t1.test",
            role="admin",
            end_date=app.world.clock.now().date() - timedelta(days=2),
        )
    )
    gone = await app.http.get("/v1/integrations", headers=app.auth("t1-ex", "admin"))
    assert gone.status_code == 401
    # Ana's token says admin; the replica says user.
    demoted = await app.http.get("/v1/integrations", headers=app.auth("t1-ana", "admin"))
    assert demoted.status_code == 403
    assert (await app.http.get("/v1/integrations", headers=app.auth())).status_code == 200

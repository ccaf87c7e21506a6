"""Issue 13's outbound reproductions on the real stack: internal destinations refused when
saved (the allow-list holds loopback only, for the test's sinks), a peer's body or banner
never in `GET /v1/deliveries`, and one tenant's hanging webhook never delaying another's.

One private stack for the module, `outbound_allow="127.0.0.0/8"` as every test stack.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, coming_mondays, eventually, sign_up
from leaveflow_kit.testing import WebhookSink

pytestmark = pytest.mark.e2e

SIGNING = "security-signing-secret"
DAYS = [monday + timedelta(days=n) for monday in coming_mondays(2) for n in range(5)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with Stack(
        tmp_path_factory.mktemp("security-outbound"),
        ports=Stack.free_ports(),
        outbound_allow="127.0.0.0/8",
        ready_timeout=60.0,
    ) as own:
        yield own


@dataclass
class Company:
    tenant: Tenant
    vacation: str
    ana_token: str

    def admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        with self.tenant.client("notifications") as http:
            return http.request(method, path, **kw)

    def submit(self, day: date) -> None:
        r = httpx.post(
            f"{self.tenant.urls['requests']}/v1/leave-requests",
            json={"leave_type_id": self.vacation, "start_date": str(day), "end_date": str(day)},
            headers={"authorization": f"Bearer {self.ana_token}"},
            timeout=10,
        )
        assert r.status_code == 202, r.text

    def deliveries(self, **params: str) -> list[dict[str, Any]]:
        r = self.admin("GET", "/v1/deliveries", params=params)
        assert r.status_code == 200, r.text
        return list(r.json()["items"])


def company(stack: Stack) -> Company:
    tenant = sign_up(stack.urls)
    location = tenant.location()
    vacation = tenant.leave_type("Vacation", location_ids=[location])
    bo, _ = tenant.employee("Bo Berg", role="approver", location_id=location)
    with tenant.client("requests") as http:
        r = http.post("/v1/departments", json={"name": "Ops", "approver_ids": [bo]})
        assert r.status_code == 201, r.text
        department = r.json()["id"]
    _, ana_token = tenant.employee("Ana Lima", location_id=location, department_id=department)
    return Company(tenant, vacation, ana_token)


def _slack(url: str, team: str) -> dict[str, str]:
    return {"team_id": team, "webhook_url": url, "signing_secret": SIGNING}


def test_internal_destinations_are_refused_when_saved(stack: Stack) -> None:
    acme = company(stack)
    for url in (
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::1]/",
        "http://100.64.0.1/",
    ):
        slack = acme.admin("PUT", "/v1/integrations/slack", json=_slack(url, "T-SSRF"))
        assert slack.status_code == 422, (url, slack.text)
        assert [e["field"] for e in slack.json()["errors"]] == ["webhook_url"]
        teams = acme.admin(
            "PUT", "/v1/integrations/teams", json={"aad_tenant_id": "aad-s", "webhook_url": url}
        )
        assert teams.status_code == 422, (url, teams.text)
    email = acme.admin(
        "PUT",
        "/v1/integrations/email",
        json={"smtp_host": "192.168.10.1", "smtp_port": 25, "from": "lf@e2e.test"},
    )
    assert email.status_code == 422, email.text
    assert [e["field"] for e in email.json()["errors"]] == ["smtp_host"]
    with WebhookSink() as sink:  # loopback: allowed by the operator's list
        allowed = acme.admin("PUT", "/v1/integrations/slack", json=_slack(sink.url, "T-OK"))
        assert allowed.status_code == 200, allowed.text
    assert acme.admin("GET", "/v1/integrations").json()["teams"] is None


def test_a_peers_body_or_banner_never_reaches_the_delivery_log(stack: Stack) -> None:
    acme = company(stack)
    # Allowed (loopback), but not Teams: balances answers with a problem body of its own.
    balances = f"{stack.urls['balances']}/v1/policies"
    r = acme.admin(
        "PUT", "/v1/integrations/teams", json={"aad_tenant_id": "aad-p", "webhook_url": balances}
    )
    assert r.status_code == 200, r.text
    # And not SMTP: NATS greets with its INFO banner (server id, version).
    nats_port = stack.ports["nats"]
    r = acme.admin(
        "PUT",
        "/v1/integrations/email",
        json={"smtp_host": "127.0.0.1", "smtp_port": nats_port, "from": "lf@e2e.test"},
    )
    assert r.status_code == 200, r.text
    acme.submit(DAYS[0])

    def failed() -> list[dict[str, Any]] | None:
        items = [d for d in acme.deliveries() if d["last_error"]]
        return items if {d["channel"] for d in items} == {"teams", "email"} else None

    items = eventually(failed, timeout=30, what="both deliveries failed once")
    for item in items:
        error = item["last_error"]
        for leaked in ("problems/", "detail", "title", "INFO", "server_id", "version", "{"):
            assert leaked not in error, (leaked, error)
    (teams,) = [d for d in items if d["channel"] == "teams"]
    assert teams["last_error"].startswith("HTTP 4"), teams["last_error"]


def _seconds(item: dict[str, Any]) -> float:
    sent, created = item["sent_at"], item["created_at"]
    return (datetime.fromisoformat(sent) - datetime.fromisoformat(created)).total_seconds()


def test_a_hanging_tenant_never_delays_a_healthy_one(stack: Stack) -> None:
    slow, fast = company(stack), company(stack)
    with WebhookSink(hang_seconds=7) as hanging, WebhookSink() as healthy:
        r = slow.admin("PUT", "/v1/integrations/slack", json=_slack(hanging.url, "T-SLOW"))
        assert r.status_code == 200, r.text
        r = fast.admin("PUT", "/v1/integrations/slack", json=_slack(healthy.url, "T-FAST"))
        assert r.status_code == 200, r.text
        for day in DAYS[:4]:
            slow.submit(day)
        eventually(lambda: hanging.snapshot(), timeout=20, what="the hanging sends in flight")
        for day in DAYS:
            fast.submit(day)

        def all_sent() -> list[dict[str, Any]] | None:
            items = fast.deliveries(status="sent")
            return items if len(items) == len(DAYS) else None

        sent = eventually(all_sent, timeout=30, what="every healthy delivery sent")
        assert len(healthy.snapshot()) == len(DAYS)
        latencies = sorted(_seconds(d) for d in sent)
        p99 = statistics.quantiles(latencies, n=100, method="inclusive")[98]
        assert p99 < 1.0, latencies
        assert len(hanging.snapshot()) <= 2, "at most two sends in flight per destination"

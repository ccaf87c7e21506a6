"""`POST /v1/auth/mail` and `POST /v1/auth/workspace`: only Leaveflow services call them
(`Service <secret>`). Mail goes out to real aiosmtpd servers on loopback: a company's
server when a listed company has one, else the operator's; the sign-in link reaches the
mailbox and nothing else (no log line, no delivery)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator, MutableMapping
from email.message import EmailMessage
from typing import Any

import pytest
import structlog

from leaveflow_kit.testing.smtp_sink import SmtpSink

from .conftest import App, AppFactory

SERVICE = {"authorization": "Service svc"}
TO = "ana@t1.test"


@pytest.fixture
def company_smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


@pytest.fixture
def operator_smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


def operator_settings(sink: SmtpSink) -> dict[str, Any]:
    # The sink speaks no TLS: the default (STARTTLS on) is turned off, as an operator
    # with a plain relay on the local network would.
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": sink.port,
        "smtp_from": "leaveflow@operator.test",
        "smtp_starttls": False,
    }


async def connect_email(app: App, sink: SmtpSink, tenant: str = "t1") -> None:
    await app.world.connect(
        "email",
        tenant=tenant,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        **{"from": f"leave@{tenant}.test"},
    )


def sign_in_link() -> str:
    return f"http://dash.test/signin/link?token={secrets.token_urlsafe(32)}"


def mail_body(
    to: str = TO,
    link: str | None = None,
    purpose: str = "sign_in",
    tenant_ids: list[str] | None = None,
    **more: Any,
) -> dict[str, Any]:
    return {
        "to": to,
        "purpose": purpose,
        "link": link or sign_in_link(),
        "tenant_ids": ["t1"] if tenant_ids is None else tenant_ids,
        **more,
    }


def parts(mail: EmailMessage) -> tuple[str, str]:
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None
    assert html is not None
    return plain.get_content(), html.get_content()


async def test_a_company_with_an_email_integration_carries_the_sign_in_link(
    make_app: AppFactory, company_smtp: SmtpSink, operator_smtp: SmtpSink
) -> None:
    app = await make_app(**operator_settings(operator_smtp))
    await connect_email(app, company_smtp)
    link = sign_in_link()
    response = await app.http.post("/v1/auth/mail", json=mail_body(link=link), headers=SERVICE)
    assert (response.status_code, response.json()) == (202, {"sent": True})
    (mail,) = company_smtp.snapshot()
    assert operator_smtp.snapshot() == []
    assert (mail["From"], mail["To"]) == ("leave@t1.test", TO)
    assert mail["Subject"] == "Your sign-in link for Leaveflow"
    text, html = parts(mail)
    assert link in text
    assert f'href="{link}"' in html
    assert "15 minutes" in text
    assert "only in the browser where you asked for it" in text


async def test_the_first_listed_company_with_a_mail_server_is_used(
    app: App, company_smtp: SmtpSink
) -> None:
    await app.world.directory("t2")
    await connect_email(app, company_smtp, tenant="t2")
    response = await app.http.post(
        "/v1/auth/mail", json=mail_body(tenant_ids=["t1", "t2"]), headers=SERVICE
    )
    assert response.status_code == 202
    (mail,) = company_smtp.snapshot()
    assert mail["From"] == "leave@t2.test"


async def test_without_a_company_server_the_operator_server_carries_it(
    make_app: AppFactory, operator_smtp: SmtpSink
) -> None:
    # No loopback allowed for tenants' destinations: the operator's own server is trusted
    # configuration, not subject to that guard.
    app = await make_app(outbound_allow="", **operator_settings(operator_smtp))
    link = sign_in_link()
    response = await app.http.post(
        "/v1/auth/mail", json=mail_body(link=link, tenant_ids=[]), headers=SERVICE
    )
    assert response.status_code == 202
    (mail,) = operator_smtp.snapshot()
    assert (mail["From"], mail["To"]) == ("leaveflow@operator.test", TO)
    assert link in parts(mail)[0]


async def test_a_company_server_stays_behind_the_outbound_guard(
    make_app: AppFactory, company_smtp: SmtpSink
) -> None:
    app = await make_app(outbound_allow="")
    await connect_email(app, company_smtp)
    response = await app.http.post("/v1/auth/mail", json=mail_body(), headers=SERVICE)
    assert response.status_code == 502
    assert "destination refused" in response.json()["detail"]
    assert company_smtp.snapshot() == []


@pytest.mark.parametrize(
    ("purpose", "company", "subject", "says"),
    [
        (
            "confirm_signup",
            "Acme Ltd",
            "Confirm your new company on Leaveflow",
            "create a new company called Acme Ltd",
        ),
        ("invite", "Acme Ltd", "Acme Ltd invited you to Leaveflow", "no password to remember"),
    ],
)
async def test_each_purpose_has_its_own_words(
    app: App, company_smtp: SmtpSink, purpose: str, company: str, subject: str, says: str
) -> None:
    await connect_email(app, company_smtp)
    body = mail_body(purpose=purpose, company=company)
    response = await app.http.post("/v1/auth/mail", json=body, headers=SERVICE)
    assert response.status_code == 202
    (mail,) = company_smtp.snapshot()
    assert mail["Subject"] == subject
    text, html = parts(mail)
    assert says in text
    assert body["link"] in text
    assert f'href="{body["link"]}"' in html


async def test_no_mail_server_anywhere_is_503(app: App) -> None:
    response = await app.http.post("/v1/auth/mail", json=mail_body(), headers=SERVICE)
    assert response.status_code == 503
    problem = response.json()
    assert problem["type"].endswith("/no-mail-server")
    assert "LEAVEFLOW_SMTP_HOST" in problem["detail"]


async def test_a_refusing_mail_server_is_502_with_its_code(
    app: App, company_smtp: SmtpSink
) -> None:
    company_smtp.refuse.add(TO)
    await connect_email(app, company_smtp)
    response = await app.http.post("/v1/auth/mail", json=mail_body(), headers=SERVICE)
    assert response.status_code == 502
    problem = response.json()
    assert problem["type"].endswith("/mail-not-sent")
    assert "550" in problem["detail"]
    assert company_smtp.snapshot() == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Service wrong"}, {"authorization": "Bearer svc"}],
    ids=["missing", "wrong", "other-scheme"],
)
@pytest.mark.parametrize("path", ["/v1/auth/mail", "/v1/auth/workspace"])
async def test_only_the_service_secret_opens_the_routes(
    app: App, company_smtp: SmtpSink, headers: dict[str, str], path: str
) -> None:
    await connect_email(app, company_smtp)
    body = mail_body() if path.endswith("mail") else {"tenant_id": "t1"}
    response = await app.http.post(path, json=body, headers=headers)
    assert response.status_code == 401
    assert company_smtp.snapshot() == []


@pytest.mark.parametrize("path", ["/v1/auth/mail", "/v1/auth/workspace"])
async def test_without_a_configured_secret_the_routes_do_not_exist(
    make_app: AppFactory, company_smtp: SmtpSink, path: str
) -> None:
    app = await make_app(service_secret=None)
    await connect_email(app, company_smtp)
    body = mail_body() if path.endswith("mail") else {"tenant_id": "t1"}
    response = await app.http.post(path, json=body, headers=SERVICE)
    assert response.status_code == 404
    assert company_smtp.snapshot() == []


async def test_only_wrong_secrets_count_against_the_signin_limit(
    make_app: AppFactory, company_smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAVEFLOW_RATE_LIMITS", "signin=3/3600")
    app = await make_app()
    await connect_email(app, company_smtp)
    for _ in range(5):  # more than the limit: right secrets are never counted
        response = await app.http.post("/v1/auth/mail", json=mail_body(), headers=SERVICE)
        assert response.status_code == 202
    wrong = {"authorization": "Service guess"}
    statuses = [
        (await app.http.post("/v1/auth/mail", json=mail_body(), headers=wrong)).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    # The guesser's address is now refused before its secret is even compared.
    refused = await app.http.post("/v1/auth/mail", json=mail_body(), headers=SERVICE)
    assert refused.status_code == 429
    assert "retry-after" in refused.headers
    assert len(company_smtp.snapshot()) == 5


async def test_the_link_must_be_absolute_and_is_not_echoed(app: App) -> None:
    secret = secrets.token_urlsafe(16)
    response = await app.http.post(
        "/v1/auth/mail", json=mail_body(link=f"/signin/link?token={secret}"), headers=SERVICE
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["link"]
    assert secret not in response.text


class EveryLogLine:
    """Every log line of the process, by stdlib logging (all loggers, DEBUG) and by
    structlog, in its words and its fields."""

    def __init__(
        self, caplog: pytest.LogCaptureFixture, structured: list[MutableMapping[str, Any]]
    ) -> None:
        self._caplog, self._structured = caplog, structured

    def text(self) -> str:
        # aiosmtpd's own loggers ("mail.*") are the receiving mail server, which is the
        # mailbox here: it is meant to see the link.
        ours = [r for r in self._caplog.records if not r.name.startswith("mail.")]
        lines = [f"{r.name} {r.getMessage()} {r.__dict__}" for r in ours]
        return "\n".join(lines + [repr(entry) for entry in self._structured])


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[EveryLogLine]:
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as structured:
        yield EveryLogLine(caplog, structured)


async def test_the_link_is_in_no_log_line_and_no_delivery(
    make_app: AppFactory, company_smtp: SmtpSink, logs: EveryLogLine
) -> None:
    app = await make_app()
    await connect_email(app, company_smtp)
    token = secrets.token_urlsafe(32)
    link = f"http://dash.test/signin/link?token={token}"
    sent = await app.http.post("/v1/auth/mail", json=mail_body(link=link), headers=SERVICE)
    assert sent.status_code == 202
    company_smtp.refuse.add("bo@t1.test")
    refused = await app.http.post(
        "/v1/auth/mail", json=mail_body(to="bo@t1.test", link=link), headers=SERVICE
    )
    assert refused.status_code == 502
    assert token not in refused.text
    nowhere = await app.http.post(
        "/v1/auth/mail", json=mail_body(link=link, tenant_ids=[]), headers=SERVICE
    )
    assert nowhere.status_code == 503
    assert token in parts(company_smtp.snapshot()[0])[0], "the mailbox does get it"
    captured = logs.text()
    assert "account_mail" in captured, "the sends were logged (without the link)"
    assert token not in captured
    assert TO not in captured, "nor the address"
    deliveries = await app.http.get("/v1/deliveries", headers=app.auth())
    assert deliveries.status_code == 200
    assert deliveries.json()["items"] == []
    assert await app.world.deliveries() == []


async def test_the_workspace_names_the_connected_slack_and_teams(app: App) -> None:
    await app.world.connect("slack", team_id="T-ACME", bot_token="xoxb-1", signing_secret="s")
    await app.world.connect(
        "teams", aad_tenant_id="aad-acme", webhook_url="https://example.com/hook"
    )
    response = await app.http.post("/v1/auth/workspace", json={"tenant_id": "t1"}, headers=SERVICE)
    assert response.status_code == 200
    assert response.json() == {"slack_team_id": "T-ACME", "teams_tenant_id": "aad-acme"}
    nothing = await app.http.post("/v1/auth/workspace", json={"tenant_id": "t2"}, headers=SERVICE)
    assert nothing.json() == {"slack_team_id": None, "teams_tenant_id": None}


async def test_a_slack_webhook_without_a_team_names_no_workspace(app: App) -> None:
    await app.world.connect("slack", webhook_url="https://hooks.example.com/x", signing_secret="s")
    response = await app.http.post("/v1/auth/workspace", json={"tenant_id": "t1"}, headers=SERVICE)
    assert response.json() == {"slack_team_id": None, "teams_tenant_id": None}

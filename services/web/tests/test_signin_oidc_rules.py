"""Which company a proven OpenID identity may enter: the per-provider rules (company SSO
domains, Google hd, Microsoft tid, Slack team, enforced SSO), the issuer Microsoft's
tokens must carry, and the address rule for a company's own issuer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from leaveflow_kit.outbound import AddressPolicy
from leaveflow_web.api import ServiceApis
from leaveflow_web.bootstrap import create_app
from leaveflow_web.config import Settings
from leaveflow_web.entrypoints.signin_oidc import admit
from leaveflow_web.oidc import (
    SLACK_TEAM,
    Provider,
    SignInRefused,
    expected_issuer,
    platform_providers,
    refusal_of,
)
from leaveflow_web.tokens import Company, IdentityApi

from .conftest import SECRET, WEB, FakeServices, FakeSso, Membership, csrf_of, settings

ACME = Company("t1", "Acme", "eve", "user", False)
BETA = Company("t2", "Beta Works", "eve-b", "user", False)


def identity_of(fake: FakeServices) -> IdentityApi:
    urls = dict.fromkeys(("requests", "balances", "notifications", "calendar"), "http://svc")
    apis = ServiceApis(urls, transport=httpx.MockTransport(fake))  # type: ignore[arg-type]
    return IdentityApi(apis, SECRET)


def claims(**extra: Any) -> dict[str, Any]:
    return {"email": "eve@acme.test", "email_verified": True, **extra}


def platform(kind: str) -> Provider:
    (found,) = [
        p
        for p in platform_providers(
            Settings(google_client_id="g", microsoft_client_id="m", slack_client_id="s")
        )
        if p.kind == kind
    ]
    return found


async def test_slack_admits_only_the_company_whose_workspace_it_is(fake: FakeServices) -> None:
    fake.slack_team = {"t1": "T-ACME", "t2": "T-BETA"}
    admitted, reasons = await admit(
        identity_of(fake), platform("slack"), claims(**{SLACK_TEAM: "T-ACME"}), (ACME, BETA)
    )
    assert admitted == [ACME]
    assert reasons == ["This Slack workspace is not the one Beta Works uses."]


async def test_slack_never_admits_a_company_without_a_slack_workspace(
    fake: FakeServices,
) -> None:
    admitted, reasons = await admit(
        identity_of(fake), platform("slack"), claims(**{SLACK_TEAM: "T-ACME"}), (ACME,)
    )
    assert admitted == []
    assert reasons == ["Acme has not connected a Slack workspace to Leaveflow."]


async def test_google_needs_the_workspace_domain_a_company_lists(fake: FakeServices) -> None:
    fake.sso["t1"] = FakeSso("t1", "Acme", "https://sso.acme.test", email_domains=("acme.test",))
    api, google = identity_of(fake), platform("google")
    assert (await admit(api, google, claims(hd="acme.test"), (ACME,)))[0] == [ACME]
    refused, reasons = await admit(api, google, claims(), (ACME,))  # a personal account
    assert refused == []
    assert reasons == ["Acme accepts only Google accounts of its own Workspace."]
    assert (await admit(api, google, claims(hd="evil.test"), (ACME,)))[0] == []
    # A company that lists no domain takes any Google account with the email.
    assert (await admit(api, google, claims(), (BETA,)))[0] == [BETA]


async def test_a_company_enforcing_its_sso_is_never_entered_through_a_platform(
    fake: FakeServices,
) -> None:
    enforcing = Company("t2", "Beta Works", "eve-b", "admin", True)
    admitted, reasons = await admit(identity_of(fake), platform("google"), claims(), (enforcing,))
    assert admitted == []
    assert reasons == ["Beta Works asks everyone to sign in with its own single sign-on."]


async def test_microsoft_checks_the_directory_of_a_company_with_teams(
    fake: FakeServices,
) -> None:
    def with_teams(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/workspace":
            return httpx.Response(200, json={"slack_team_id": None, "teams_tenant_id": "dir-acme"})
        return fake(request)

    urls = dict.fromkeys(("requests", "balances", "notifications", "calendar"), "http://svc")
    apis = ServiceApis(urls, transport=httpx.MockTransport(with_teams))  # type: ignore[arg-type]
    api, microsoft = IdentityApi(apis, SECRET), platform("microsoft")
    assert (await admit(api, microsoft, claims(tid="dir-acme"), (ACME,)))[0] == [ACME]
    refused, reasons = await admit(api, microsoft, claims(tid="dir-other"), (ACME,))
    assert refused == []
    assert reasons == ["This Microsoft account is not in Acme's directory."]


async def test_a_company_sso_admits_only_its_company_and_its_domains(fake: FakeServices) -> None:
    own = Provider(
        "company",
        "https://sso.acme.test",
        "web",
        "s",
        tenant_id="t1",
        company="Acme",
        email_domains=("acme.test",),
    )
    api = identity_of(fake)
    assert (await admit(api, own, claims(), (ACME, BETA)))[0] == [ACME]
    refused, reasons = await admit(api, own, claims(email="eve@gmail.test"), (ACME,))
    assert refused == []
    assert reasons == ["Acme signs in only addresses of its own domains."]


def test_microsoft_tokens_must_name_their_own_directory_as_issuer() -> None:
    microsoft = platform("microsoft")
    metadata = {"issuer": "https://login.microsoftonline.com/{tenantid}/v2.0"}
    assert (
        expected_issuer(microsoft, metadata, {"tid": "abc"})
        == "https://login.microsoftonline.com/abc/v2.0"
    )
    with pytest.raises(SignInRefused, match="tid"):
        expected_issuer(microsoft, metadata, {})
    # Any other provider: the discovery document's issuer as it is.
    assert expected_issuer(platform("google"), {"issuer": "https://g.test"}, {}) == "https://g.test"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9000", "loopback"),
        ("https://10.1.2.3/realms/x", "private"),
        ("https://169.254.169.254/", "link-local"),
        ("https://[::1]:8443", "loopback"),
    ],
)
async def test_a_company_issuer_on_a_private_address_is_refused(url: str, reason: str) -> None:
    refusal = await refusal_of(url, AddressPolicy())
    assert refusal is not None
    assert reason in refusal
    assert await refusal_of(url, AddressPolicy.from_setting("0.0.0.0/0,::/0")) is None


async def test_a_public_issuer_is_allowed() -> None:
    assert await refusal_of("https://93.184.215.14/", AddressPolicy()) is None


async def test_starting_a_company_sso_on_loopback_is_refused_without_the_allow_list(
    fake: FakeServices,
) -> None:
    fake.sso["t9"] = FakeSso("t9", "Nine", "http://127.0.0.1:9", email_domains=("nine.test",))
    fake.others["ann@nine.test"] = [Membership("t9", "Nine", "ann")]
    app = create_app(settings(), transport=httpx.MockTransport(fake))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as web:
        page = await web.get("/signin")
        options = await web.post(
            "/signin", data={"csrf_token": csrf_of(page), "email": "ann@nine.test"}
        )
        assert "Continue with Nine&#39;s single sign-on" in options.text
        answer = await web.post(
            "/signin/provider", data={"csrf_token": csrf_of(options), "provider": "sso-0"}
        )
    assert answer.status_code == 502
    assert "provider is at a loopback address, which this server may not call" in answer.text
    assert fake.sessions == {}


async def test_a_provider_not_offered_cannot_be_started(dashboard: httpx.AsyncClient) -> None:
    page = await dashboard.get("/signin")
    options = await dashboard.post(
        "/signin", data={"csrf_token": csrf_of(page), "email": "eve@acme.test"}
    )
    for provider in ("google", "sso-0", "company"):
        answer = await dashboard.post(
            "/signin/provider", data={"csrf_token": csrf_of(options), "provider": provider}
        )
        assert answer.status_code == 404
        assert "This way of signing in is not offered." in answer.text

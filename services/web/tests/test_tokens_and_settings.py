"""Token brokers against the requests service's wire contract, API errors, settings."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from leaveflow_web.api import NOT_AVAILABLE, ApiError, ServiceApis
from leaveflow_web.config import Settings
from leaveflow_web.tokens import IdentityApi, claims_of


def jwt_with(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.signature"


TOKEN = jwt_with({"sub": "e1", "tid": "t1", "role": "approver"})


class RequestsService:
    """A loopback stand-in answering the identity routes as the contract says."""

    def __init__(self, status: int = 200, answer: dict[str, Any] | None = None) -> None:
        self.status = status
        self.answer = answer or {}
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self.status >= 400:
            return httpx.Response(self.status, json={"title": "nope", "detail": "no such employee"})
        return httpx.Response(self.status, json=self.answer)

    def identity(self, secret: str = "s3cret") -> IdentityApi:
        urls = dict.fromkeys(("requests", "balances", "notifications", "calendar"), "http://svc")
        apis = ServiceApis(urls, transport=httpx.MockTransport(self))  # type: ignore[arg-type]
        return IdentityApi(apis, secret)


def test_claims_of_reads_whose_token_it_is() -> None:
    assert claims_of(TOKEN)["tid"] == "t1"


@pytest.mark.parametrize(
    "bad", ["", "abc", "a.!!!.c", f"a.{base64.urlsafe_b64encode(b'[1]').decode()}.c"]
)
def test_a_malformed_token_is_an_upstream_error(bad: str) -> None:
    with pytest.raises(ApiError) as caught:
        claims_of(bad)
    assert caught.value.status == 502


async def test_a_session_is_opened_with_the_shared_secret() -> None:
    opened = {"session_id": "s1", "refresh_token": "r1", "token": TOKEN}
    service = RequestsService(201, {**opened, "employee_id": "e1", "role": "approver"})
    session = await service.identity().open_session("t1", "e1", "magic_link", "Firefox")
    assert (session.session_id, session.refresh_token, session.token, session.role) == (
        "s1",
        "r1",
        TOKEN,
        "approver",
    )
    (sent,) = service.seen
    assert sent.url.path == "/v1/auth/sessions"
    assert sent.headers["authorization"] == "Service s3cret"
    assert json.loads(sent.content) == {
        "tenant_id": "t1",
        "employee_id": "e1",
        "via": "magic_link",
        "label": "Firefox",
    }


async def test_the_lookup_reads_domain_sso_and_companies_apart() -> None:
    service = RequestsService(
        200,
        {
            "domain_sso": [{"tenant_id": "t2", "company": "Beta", "enforce": True}],
            "companies": [
                {"tenant_id": "t1", "company": "Acme", "employee_id": "e1", "role": "admin"}
            ],
        },
    )
    found = await service.identity().lookup("ann@acme.test")
    assert [(d.name, d.enforce) for d in found.domain_sso] == [("Beta", True)]
    assert [(c.name, c.employee_id, c.role, c.enforce_sso) for c in found.companies] == [
        ("Acme", "e1", "admin", False)
    ]


async def test_no_single_sign_on_is_none_not_an_error() -> None:
    assert await RequestsService(404).identity().sso("t1") is None


async def test_without_the_shared_secret_nothing_is_sent() -> None:
    service = RequestsService()
    with pytest.raises(ApiError) as caught:
        await service.identity(secret="").lookup("ann@acme.test")
    assert caught.value.status == 503
    assert "LEAVEFLOW_SERVICE_SECRET" in caught.value.detail
    assert service.seen == []


async def test_a_shapeless_answer_is_an_upstream_error() -> None:
    with pytest.raises(ApiError) as caught:
        await RequestsService(200, {"companies": [{"company": "Acme"}]}).identity().lookup("a@b.c")
    assert caught.value.status == 502


async def test_an_unreachable_service_is_a_503() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    apis = ServiceApis({"calendar": "http://svc"}, transport=httpx.MockTransport(refuse))
    with pytest.raises(ApiError) as caught:
        await apis.call("GET", "calendar", "/v1/whos-off")
    assert caught.value.status == 503


def test_field_errors_of_a_422_are_keyed_by_field_as_sentences() -> None:
    response = httpx.Response(
        422,
        json={
            "title": "Unprocessable",
            "errors": [{"field": "end_date", "message": "end_date is before start_date"}],
        },
    )
    assert ApiError.from_response(response).field_errors == {
        "end_date": "The last day is before the first day. Pick a last day on or after it."
    }


def test_a_route_the_service_lacks_reads_as_not_available() -> None:
    missing = ApiError.from_response(httpx.Response(404, json={"detail": "Not Found"}))
    assert missing.title == NOT_AVAILABLE
    gone = ApiError.from_response(
        httpx.Response(404, json={"title": "Not Found", "detail": "no such employee"})
    )
    assert gone.detail == "no such employee"


def test_settings_default_to_port_8000_and_a_random_session_secret() -> None:
    first, second = Settings(), Settings()
    assert first.port == 8000
    assert first.session_secret
    assert first.session_secret != second.session_secret
    assert first.public_url == "http://127.0.0.1:8000"


def test_the_deprecated_oidc_issuer_needs_a_client_id_and_its_company() -> None:
    with pytest.raises(ValidationError, match="WEB_OIDC_CLIENT_ID"):
        Settings(oidc_issuer="https://accounts.example")
    with pytest.raises(ValidationError, match="WEB_OIDC_TENANT_ID"):
        Settings(oidc_issuer="https://accounts.example", oidc_client_id="web")

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
from leaveflow_web.tokens import DevLoginBroker, ServiceTokenBroker, UnknownPerson, claims_of


def jwt_with(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.signature"


TOKEN = jwt_with({"sub": "e1", "tid": "t1", "role": "approver"})


class RequestsService:
    """A loopback stand-in answering the two token routes as the contract says."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self.status != 200:
            return httpx.Response(self.status, json={"title": "nope", "detail": "no such employee"})
        return httpx.Response(200, json={"token": TOKEN})

    def apis(self) -> ServiceApis:
        urls = dict.fromkeys(("requests", "balances", "notifications", "calendar"), "http://svc")
        return ServiceApis(urls, transport=httpx.MockTransport(self))  # type: ignore[arg-type]


def test_claims_of_reads_whose_token_it_is() -> None:
    assert claims_of(TOKEN)["tid"] == "t1"


@pytest.mark.parametrize(
    "bad", ["", "abc", "a.!!!.c", f"a.{base64.urlsafe_b64encode(b'[1]').decode()}.c"]
)
def test_a_malformed_token_is_an_upstream_error(bad: str) -> None:
    with pytest.raises(ApiError) as caught:
        claims_of(bad)
    assert caught.value.status == 502


async def test_dev_login_broker_grants_the_employee_named_by_the_token() -> None:
    service = RequestsService()
    grant = await DevLoginBroker(service.apis()).token_for("t1", "ann@acme.test")
    assert (grant.tenant_id, grant.employee_id, grant.role, grant.token) == (
        "t1",
        "e1",
        "approver",
        TOKEN,
    )
    (sent,) = service.seen
    assert sent.url.path == "/v1/auth/dev-login"
    assert json.loads(sent.content) == {"tenant_id": "t1", "email": "ann@acme.test"}
    assert "authorization" not in sent.headers


async def test_service_token_broker_authenticates_with_the_shared_secret() -> None:
    service = RequestsService()
    grant = await ServiceTokenBroker(service.apis(), "s3cret").token_for("t1", "ann@acme.test")
    assert grant.employee_id == "e1"
    (sent,) = service.seen
    assert sent.url.path == "/v1/auth/service-token"
    assert sent.headers["authorization"] == "Service s3cret"
    assert json.loads(sent.content) == {"tenant_id": "t1", "email": "ann@acme.test", "via": "web"}


@pytest.mark.parametrize("status", [404, 422])
async def test_an_unknown_person_is_told_apart_from_a_failure(status: int) -> None:
    with pytest.raises(UnknownPerson):
        await DevLoginBroker(RequestsService(status).apis()).token_for("t1", "x@acme.test")


async def test_a_failing_requests_service_is_an_error_not_an_unknown_person() -> None:
    with pytest.raises(ApiError) as caught:
        await DevLoginBroker(RequestsService(500).apis()).token_for("t1", "x@acme.test")
    assert caught.value.status == 500


async def test_an_unreachable_service_is_a_503() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    apis = ServiceApis({"calendar": "http://svc"}, transport=httpx.MockTransport(refuse))
    with pytest.raises(ApiError) as caught:
        await apis.call("GET", "calendar", "/v1/whos-off")
    assert caught.value.status == 503


def test_field_errors_of_a_422_are_keyed_by_field() -> None:
    response = httpx.Response(
        422,
        json={
            "title": "Unprocessable",
            "errors": [{"field": "end_date", "message": "before start"}],
        },
    )
    assert ApiError.from_response(response).field_errors == {"end_date": "before start"}


def test_a_route_the_service_lacks_reads_as_not_available() -> None:
    missing = ApiError.from_response(httpx.Response(404, json={"detail": "Not Found"}))
    assert missing.title == NOT_AVAILABLE
    gone = ApiError.from_response(
        httpx.Response(404, json={"title": "Not Found", "detail": "no such employee"})
    )
    assert gone.detail == "no such employee"


def test_settings_default_to_port_8000_dev_login_and_a_random_session_secret() -> None:
    first, second = Settings(), Settings()
    assert first.port == 8000
    assert first.token_broker == "dev-login"
    assert first.session_secret
    assert first.session_secret != second.session_secret
    assert first.public_url == "http://127.0.0.1:8000"


def test_service_tokens_need_the_shared_secret() -> None:
    with pytest.raises(ValidationError, match="LEAVEFLOW_SERVICE_SECRET"):
        Settings(token_broker="service-token")


def test_an_oidc_issuer_needs_a_client_id() -> None:
    with pytest.raises(ValidationError, match="WEB_OIDC_CLIENT_ID"):
        Settings(oidc_issuer="https://accounts.example")

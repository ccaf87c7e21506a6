"""Rate limits on sign-up and sign-in, and body limits, of the requests service (issue 13):
429 with Retry-After past the figure (LEAVEFLOW_RATE_LIMITS), 413 past a body limit (1 MiB,
the CSV import 5 MB)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leaveflow_requests.entrypoints.http.directory import MAX_IMPORT_BYTES

from .conftest import Api, Company, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _signup(n: int, domain: str = "burst.test") -> dict[str, str]:
    return {"name": f"Co {n}", "admin_name": "Ada", "admin_email": f"ada{n}@{domain}"}


async def test_signup_past_its_figure_is_a_429_with_retry_after(
    make_api: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAVEFLOW_RATE_LIMITS", "signup=3/60")
    api: Api = await make_api()
    answers = [await api.call(None, "POST", "/v1/tenants", _signup(n)) for n in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    refused = answers[-1]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["retry-after"]) <= 60


async def test_sign_in_is_limited_per_account_and_per_address(
    make_api: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAVEFLOW_RATE_LIMITS", "signin=3/60")
    api: Api = await make_api()
    company = await sign_up(api, "Limited")  # three dev logins: the address's figure
    login = {"tenant_id": company.tenant_id, "email": "ana@limited.test"}
    refused = await api.call(None, "POST", "/v1/auth/dev-login", login)
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["retry-after"]) >= 1


async def test_the_default_figures_let_a_script_set_up_a_company(api: Api) -> None:
    # Dozens of sign-ins from one address in a minute pass (a setup script, a test suite).
    company = await sign_up(api, "Script")
    login = {"tenant_id": company.tenant_id, "email": "ana@script.test"}
    for _ in range(60):
        assert (await api.call(None, "POST", "/v1/auth/dev-login", login)).status_code == 200


async def test_a_body_over_1_mib_is_a_413(company: Company) -> None:
    big = {"name": "Big", "admin_name": "Ada", "admin_email": "a@big.test", "x": "y" * 1_100_000}
    refused = await company.api.call(None, "POST", "/v1/tenants", big)
    assert refused.status_code == 413, refused.text
    note = {"note": "n" * 1_100_000}
    assert (
        await company.call("ada", "POST", "/v1/leave-requests/x/cancel", note)
    ).status_code == 413


async def test_the_csv_import_has_its_own_larger_limit(company: Company) -> None:
    headers = {"content-type": "text/csv"}
    # 2 MB is over the default limit but under the import's: read, and refused as not UTF-8.
    latin = b"\xff" * 2_000_000
    read = await company.call("ada", "POST", "/v1/employees/import", content=latin, headers=headers)
    assert read.status_code == 422, read.text
    over = b"a" * (MAX_IMPORT_BYTES + 1)
    refused = await company.call(
        "ada", "POST", "/v1/employees/import", content=over, headers=headers
    )
    assert refused.status_code == 413, refused.text

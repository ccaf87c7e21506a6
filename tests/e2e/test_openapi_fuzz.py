"""Schemathesis against each service's own OpenAPI on the real stack: no input may cause
a 5xx.

A bounded run in `make test` (LEAVEFLOW_FUZZ_EXAMPLES, default 10 per operation, sent as
the admin of a tenant that has some data); `make fuzz` runs longer.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from leaveflow_devstack import Stack

EXAMPLES = int(os.environ.get("LEAVEFLOW_FUZZ_EXAMPLES", "10"))
# A service has a few dozen operations; at 1,000 examples each a run takes many minutes.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(max(600, EXAMPLES * 6))]
SERVICES = ("requests", "balances", "notifications", "calendar")


@pytest.fixture(scope="session")
def fuzz_admin(stack: Stack) -> dict[str, str]:
    requests_url = stack.urls["requests"]
    r = httpx.post(
        f"{requests_url}/v1/tenants",
        json={"name": "Fuzz", "admin_name": "A", "admin_email": "a@fuzz.test"},
    )
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    httpx.post(f"{requests_url}/v1/leave-types", json={"name": "Vacation"}, headers=auth)
    httpx.post(f"{requests_url}/v1/locations", json={"name": "HQ"}, headers=auth)
    return auth


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def _fuzzer(
    operation: Any, label: str, auth: dict[str, str], sent: list[str], failures: list[str]
) -> Any:
    @given(case=operation.as_strategy())
    @FUZZ_SETTINGS
    def fuzz(case: Any) -> None:
        sent.append(label)
        try:
            case.call_and_validate(headers=auth, checks=[not_a_server_error], timeout=10)
        except Exception as exc:
            failures.append(f"{label}: {exc}"[:2000])
            raise

    return fuzz


# schemathesis's lazy pytest integration reads a private pytest attribute that pytest 9
# removed, so each operation is driven through its Hypothesis strategy directly.
@pytest.mark.parametrize("service", SERVICES)
def test_no_input_makes_a_service_answer_5xx(
    stack: Stack, fuzz_admin: dict[str, str], service: str
) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.urls[service]}/openapi.json")
    failures: list[str] = []
    sent: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise result.err()  # an operation schemathesis cannot read is a broken document
        operation = result.ok()
        operations += 1
        label = f"{operation.method.upper()} {operation.path}"

        fuzz = _fuzzer(operation, label, fuzz_admin, sent, failures)
        try:
            fuzz()
        except Exception as exc:
            if not failures or not failures[-1].startswith(label):
                failures.append(f"{label}: could not run: {exc!r}"[:2000])
    assert operations > 0
    assert len(set(sent)) == operations, "every operation must have been exercised"
    assert not failures, "\n\n".join(failures[:5])
    # `make fuzz` shows this line (-rP): the figures a closing note quotes.
    print(f"{service}: {operations} operations, {len(sent)} requests, 0 answered 5xx")

"""The stack boots as real processes, answers its probes, and stops without leftovers."""

from __future__ import annotations

import os
from collections.abc import Callable

import httpx
import pytest

from leaveflow_devstack import SERVICES, Stack
from leaveflow_devstack.process import living_members
from leaveflow_devstack.testing import Tenant

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("service", SERVICES)
def test_service_is_up_ready_and_exports_metrics(stack: Stack, service: str) -> None:
    url = stack.urls[service]
    assert httpx.get(f"{url}/healthz").status_code == 200
    ready = httpx.get(f"{url}/readyz")
    assert ready.status_code == 200, ready.text
    metrics = httpx.get(f"{url}/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "# TYPE " in metrics.text  # Prometheus exposition format, not an empty page
    assert httpx.get(f"{url}/openapi.json").json()["paths"]
    assert httpx.get(f"{url}/docs").status_code == 200


def test_nats_runs_with_jetstream_and_stores_under_the_data_dir(stack: Stack) -> None:
    jsz = httpx.get(f"{stack.nats_monitor_url}/jsz").json()
    assert jsz["config"]["store_dir"].startswith(str(stack.data_dir / "nats"))


def test_a_killed_service_restarts_and_stop_leaves_no_process(
    make_stack: Callable[..., Stack],
) -> None:
    private = make_stack()
    private.kill("balances")  # SIGKILL: a crash, no shutdown hooks
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{private.urls['balances']}/healthz")
    private.start_service("balances")
    assert httpx.get(f"{private.urls['balances']}/readyz").status_code == 200

    pids = list(private.pids.values())  # each child leads its own process group
    assert len(pids) == 6  # nats, four services, web
    private.stop()

    assert private.pids == {}
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert living_members(pids) == []  # nor anything they spawned


def test_a_signed_up_admin_can_dev_login(tenant: Tenant) -> None:
    # The path `make run` prints as its curl example.
    response = httpx.post(
        f"{tenant.urls['requests']}/v1/auth/dev-login",
        json={"tenant_id": tenant.tenant_id, "email": tenant.admin_email},
    )
    assert response.status_code == 200, response.text
    login = response.json()
    assert login["employee_id"] == tenant.admin_id
    assert login["role"] == "admin"
    with tenant.client("requests") as requests_api:
        assert requests_api.get("/v1/leave-types").status_code == 200

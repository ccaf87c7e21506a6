"""The committed AsyncAPI documents (docs/asyncapi/) match what the code produces and
consumes; `make asyncapi` regenerates them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from leaveflow_contracts import EVENT_TYPES
from leaveflow_kit.messaging.asyncapi import dump, of_app_factory

DOCS = Path(__file__).resolve().parents[2] / "docs" / "asyncapi"
SERVICES = ("requests", "balances", "notifications", "calendar")


@pytest.fixture(scope="module", params=SERVICES)
def generated(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    service = request.param
    return service, of_app_factory(f"leaveflow_{service}.bootstrap:create_app")


def test_committed_document_is_current(generated: tuple[str, dict[str, Any]]) -> None:
    service, document = generated
    committed = DOCS / f"{service}.yaml"
    assert committed.exists(), f"run `make asyncapi` to create {committed}"
    assert yaml.safe_load(committed.read_text()) == yaml.safe_load(dump(document)), (
        f"{committed} is stale: run `make asyncapi`"
    )


def test_every_produced_event_is_a_channel_with_its_typed_envelope(
    generated: tuple[str, dict[str, Any]],
) -> None:
    service, document = generated
    addresses = {c["address"] for c in document["channels"].values()}
    for cls in EVENT_TYPES:
        if service == cls.PRODUCER:
            assert f"lf.{service}.{cls.EVENT_TYPE}.v{cls.VERSION}" in addresses
            schema = document["components"]["schemas"][f"{cls.EVENT_TYPE}V{cls.VERSION}"]
            assert schema["properties"]["data"]["$ref"].endswith(f"/{cls.EVENT_TYPE}")


def test_the_requests_service_documents_what_it_consumes() -> None:
    document = of_app_factory("leaveflow_requests.bootstrap:create_app")
    received = {
        document["channels"][op["channel"]["$ref"].split("/")[-1]]["address"]
        for op in document["operations"].values()
        if op["action"] == "receive"
    }
    assert "lf.balances.LeaveReserved.v1" in received
    assert "lf.balances.LeaveReservationRejected.v1" in received

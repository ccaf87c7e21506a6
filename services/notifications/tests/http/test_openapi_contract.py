"""The public HTTP contract of the notifications service holds still while its code moves.

`openapi_contract.json` was taken from the app before the service layer got its ports
and the routes their response models: every path, method, operation id, tag, parameter,
request body and response status code. The current app must match it exactly; only the
response bodies' schemas may have gained detail.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from leaveflow_kit.testing.openapi_contract import contract_changes, untyped_json_responses
from leaveflow_notifications.bootstrap import create_app
from leaveflow_notifications.config import Settings
from leaveflow_notifications.entrypoints.http import actions, routes, slack, teams

CONTRACT = Path(__file__).with_name("openapi_contract.json")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("openapi")))


def test_paths_parameters_and_request_bodies_are_unchanged(app: FastAPI) -> None:
    # A deliberate change: regenerate with leaveflow_kit.testing.openapi_contract.write_contract.
    assert contract_changes(app.openapi(), CONTRACT) == []


def test_every_json_response_names_a_model(app: FastAPI) -> None:
    assert untyped_json_responses(app.openapi()) == []


def test_only_the_chat_webhooks_stay_out_of_the_document() -> None:
    """Slack and Teams call these with their own payloads, signed their own way; no
    client of ours does, so they are left out of OpenAPI (docs/api.md describes them)."""
    hidden = {
        (method, route.path)
        for router in (actions.router, routes.router, slack.router, teams.router)
        for route in router.routes
        if isinstance(route, APIRoute) and not route.include_in_schema
        for method in route.methods or ()
    }
    assert hidden == {
        ("POST", "/slack/commands"),
        ("POST", "/slack/interactions"),
        ("POST", "/teams/messages"),
    }

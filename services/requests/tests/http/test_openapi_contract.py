"""The public HTTP contract of the requests service holds still while its code moves.

`openapi_contract.json` was taken from the app before the routes were split by API and
given response models: every path, method, operation id, tag, parameter, request body and
response status code. The current app must match it exactly; only the response bodies'
schemas may have gained detail, and every JSON response must now name a model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from leaveflow_kit.testing.openapi_contract import contract_changes, untyped_json_responses
from leaveflow_requests.bootstrap import create_app
from leaveflow_requests.config import Settings

CONTRACT = Path(__file__).with_name("openapi_contract.json")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("openapi")))


def test_paths_parameters_and_request_bodies_are_unchanged(app: FastAPI) -> None:
    # A deliberate change: regenerate with leaveflow_kit.testing.openapi_contract.write_contract.
    assert contract_changes(app.openapi(), CONTRACT) == []


def test_every_json_response_names_a_model(app: FastAPI) -> None:
    assert untyped_json_responses(app.openapi()) == []

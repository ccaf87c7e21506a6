"""FastAPI dependencies of the notifications routes: the service-layer objects
`bootstrap.py` put on the app, one `Annotated` alias each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from ...service_layer.background import Background
from ...service_layer.chat import Chat
from ...service_layer.deliveries import DeliveryRetries
from ...service_layer.integrations import Integrations
from ...service_layer.links import LinkActions
from ...service_layer.ports import Poster, ReadModel


def _app_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """What bootstrap.py set as `app.state.<name>` (async: a sync one costs a thread hop)."""

    async def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    return get


ReadModelDep = Annotated[ReadModel, Depends(_app_state("read_model"))]
IntegrationsDep = Annotated[Integrations, Depends(_app_state("integrations"))]
RetriesDep = Annotated[DeliveryRetries, Depends(_app_state("retries"))]
ChatDep = Annotated[Chat, Depends(_app_state("chat"))]
LinksDep = Annotated[LinkActions, Depends(_app_state("links"))]
# Slack wants its ack within 3 s: work that calls other services runs after it.
BackgroundDep = Annotated[Background, Depends(_app_state("background"))]
PosterDep = Annotated[Poster, Depends(_app_state("poster"))]

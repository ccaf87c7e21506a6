"""FastAPI dependencies of the notifications routes: the service-layer objects
`bootstrap.py` put on the app, one `Annotated` alias each (the kit's `app_state`; the
caller is `leaveflow_kit.auth.CurrentUser`, or for the routes only Leaveflow services
call, `ServiceCaller`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from leaveflow_kit.http.deps import app_state
from leaveflow_kit.http.service_caller import service_caller

from ...service_layer.account_mail import AccountMailer
from ...service_layer.background import Background
from ...service_layer.chat import Chat
from ...service_layer.deliveries import DeliveryRetries
from ...service_layer.destinations import Destinations
from ...service_layer.integrations import Integrations
from ...service_layer.links import LinkActions
from ...service_layer.outbound import Outbound
from ...service_layer.ports import Poster, ReadModel

ReadModelDep = Annotated[ReadModel, Depends(app_state("read_model"))]
IntegrationsDep = Annotated[Integrations, Depends(app_state("integrations"))]
DestinationsDep = Annotated[Destinations, Depends(app_state("destinations"))]
RetriesDep = Annotated[DeliveryRetries, Depends(app_state("retries"))]
ChatDep = Annotated[Chat, Depends(app_state("chat"))]
LinksDep = Annotated[LinkActions, Depends(app_state("links"))]
# Slack wants its ack within 3 s: work that calls other services runs after it.
BackgroundDep = Annotated[Background, Depends(app_state("background"))]
PosterDep = Annotated[Poster, Depends(app_state("poster"))]
AccountMailDep = Annotated[AccountMailer, Depends(app_state("account_mail"))]
OutboundDep = Annotated[Outbound, Depends(app_state("outbound"))]


def _service_secret(request: Request) -> str | None:
    secret: str | None = getattr(request.app.state, "service_secret", None)
    return secret


# Checked as the requests service checks it for service tokens (leaveflow_kit).
ServiceCaller = service_caller(_service_secret)

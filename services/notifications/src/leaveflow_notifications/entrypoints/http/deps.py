"""FastAPI dependencies of the notifications routes: the service-layer objects
`bootstrap.py` put on the app, one `Annotated` alias each (the kit's `app_state`; the
caller is `leaveflow_kit.auth.CurrentUser`, or for the routes only Leaveflow services
call, `ServiceCaller`)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from leaveflow_kit.http import NotFound, Unauthorized
from leaveflow_kit.http.deps import app_state
from leaveflow_kit.http.limits import count_failure, refuse_if_failures_spent

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


async def _service_caller(request: Request) -> None:
    """`authorization: Service <LEAVEFLOW_SERVICE_SECRET>`, checked as the requests
    service checks it for service tokens: without a configured secret the route does not
    exist (404); only wrong secrets count against the signin limit, so the web, which
    calls from one address for everyone, is never limited and a guesser soon is."""
    expected: str | None = getattr(request.app.state, "service_secret", None)
    if not expected:
        raise NotFound("not found")
    refuse_if_failures_spent(request, "signin")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "service" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        count_failure(request, "signin")
        raise Unauthorized("bad service credentials")


ServiceCaller = Depends(_service_caller)

"""FastAPI dependencies of the Slack app's routes (the objects `bootstrap.py` put on the
app), as `deps.py` does for the others."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from leaveflow_kit.http.deps import app_state

from ...service_layer.slack_app.events import SlackEvents
from ...service_layer.slack_app.install import SlackInstaller

SlackInstallerDep = Annotated[SlackInstaller, Depends(app_state("slack_installer"))]
SlackEventsDep = Annotated[SlackEvents, Depends(app_state("slack_events"))]

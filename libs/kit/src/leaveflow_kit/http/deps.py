"""FastAPI dependency aliases for what the runtime puts on `app.state`.

    @router.get("/v1/things/{thing_id}")
    async def get_thing(thing_id: str, store: StoreDep, user: ActorDep, clock: ClockDep): ...

`ServiceRuntime.app` sets `store`, `clock`, `settings` and `token_verifier`; a service adds
its own objects (passed to `runtime.app(**state)`) and reads them with `app_state(name)`.
Not re-exported from `leaveflow_kit.http`: `leaveflow_kit.auth` imports that package.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from ..auth.dependency import current_user
from ..auth.tokens import Principal
from ..clock import Clock
from ..settings import ServiceSettings
from ..storage import Store

__all__ = ["ActorDep", "ClockDep", "SettingsDep", "StoreDep", "app_state"]


def app_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency answering `app.state.<name>` (async: a sync one costs a thread hop)."""

    async def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    get.__name__ = f"app_state_{name}"
    return get


StoreDep = Annotated[Store, Depends(app_state("store"))]
ClockDep = Annotated[Clock, Depends(app_state("clock"))]
SettingsDep = Annotated[ServiceSettings, Depends(app_state("settings"))]
# The authenticated caller (401 without a valid bearer token).
ActorDep = Annotated[Principal, Depends(current_user)]

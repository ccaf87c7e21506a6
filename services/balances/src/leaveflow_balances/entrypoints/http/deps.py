"""FastAPI dependencies of the balances routes: the service-layer objects `bootstrap.py`
put on the app (the unit of work, the read model, the clock, the year-end scheduler)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from ...service_layer.ports import Clock, ReadModel, UnitOfWork
from ...service_layer.scheduler import YearEndScheduler


def _app_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """What bootstrap.py set as `app.state.<name>` (async: a sync one costs a thread hop)."""

    async def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    return get


UnitOfWorkDep = Annotated[UnitOfWork, Depends(_app_state("unit_of_work"))]
ReadModelDep = Annotated[ReadModel, Depends(_app_state("read_model"))]
ClockDep = Annotated[Clock, Depends(_app_state("clock"))]
YearEndsDep = Annotated[YearEndScheduler, Depends(_app_state("year_ends"))]

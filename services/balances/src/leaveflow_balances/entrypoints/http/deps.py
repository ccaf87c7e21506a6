"""FastAPI dependencies of the balances routes: the service-layer objects `bootstrap.py`
put on the app (the unit of work, the read model, the year-end scheduler) and the kit's
clock."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from leaveflow_kit.http.deps import ClockDep, app_state

from ...config import Settings
from ...service_layer.ports import ReadModel, UnitOfWork
from ...service_layer.scheduler import YearEndScheduler

__all__ = ["ClockDep", "ReadModelDep", "SettingsDep", "UnitOfWorkDep", "YearEndsDep"]

UnitOfWorkDep = Annotated[UnitOfWork, Depends(app_state("unit_of_work"))]
ReadModelDep = Annotated[ReadModel, Depends(app_state("read_model"))]
YearEndsDep = Annotated[YearEndScheduler, Depends(app_state("year_ends"))]
SettingsDep = Annotated[Settings, Depends(app_state("settings"))]

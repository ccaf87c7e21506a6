"""Everything balances does with the requests service's events: keep its replica of the
directory (`directory.py`), run its side of the reservation saga (`reservations.py`) and
credit time off in lieu (`toil.py`)."""

from __future__ import annotations

from collections.abc import Callable

from leaveflow_kit.messaging import Handlers

from .directory import directory_handlers
from .ports import RepositoryFactory
from .reservations import reservation_handlers
from .toil import toil_handlers


def _nothing() -> None:
    return None


def requests_event_handlers(
    repositories: RepositoryFactory, location_changed: Callable[[], None] = _nothing
) -> Handlers:
    """`location_changed` is told when a location changed (the year-end scheduler)."""
    return Handlers().include(
        directory_handlers(repositories, location_changed),
        reservation_handlers(repositories),
        toil_handlers(repositories),
    )

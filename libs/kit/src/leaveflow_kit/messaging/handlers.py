"""Typed handler registration: the event type comes from the handler's annotation.

    handlers = Handlers()

    @handlers.on
    async def on_requested(tx: Transaction, data: LeaveRequested) -> None: ...

    @handlers.on  # the envelope too (tenant, occurred_at, causation)
    async def on_ended(tx: Transaction, event: Handled[LeaveDenied | LeaveCancelled]) -> None: ...

A union registers every member. The handler receives exactly the type(s) it declares, so
no `assert isinstance(...)` is needed, and a table keyed by type strings cannot drift from
what the handler expects. `Handlers` is a `Mapping[str, EventHandler]` (what the consumer
takes), and `by_producer()` groups it by the stream each type comes from (what
`ServiceRuntime.subscribe` takes).
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

from leaveflow_contracts import EventData

from ..storage import Transaction
from .consumer import EventHandler, Handled, HandledEvent

__all__ = ["Handlers"]

F = TypeVar("F", bound=Callable[[Transaction, Any], Awaitable[None]])


class Handlers(Mapping[str, EventHandler]):
    def __init__(self) -> None:
        self._handlers: dict[str, EventHandler] = {}
        self._classes: dict[str, type[EventData]] = {}

    def on(self, fn: F) -> F:
        """Register `fn` for the event type(s) its second parameter is annotated with
        (`X`, `X | Y`, `Handled[X]` or `Handled[X | Y]`); returns `fn` unchanged."""
        classes, wants_envelope = _declared(fn)
        for cls in classes:
            if cls.EVENT_TYPE in self._handlers:
                raise ValueError(f"{cls.EVENT_TYPE} already has a handler")
        expected = tuple(classes)

        @functools.wraps(fn)
        async def handle(tx: Transaction, event: HandledEvent) -> None:
            if not isinstance(event.data, expected):
                raise TypeError(
                    f"{fn.__qualname__} handles {', '.join(c.__name__ for c in expected)}, "
                    f"not {type(event.data).__name__}"
                )
            await fn(tx, event if wants_envelope else event.data)

        for cls in classes:
            self._handlers[cls.EVENT_TYPE] = handle
            self._classes[cls.EVENT_TYPE] = cls
        return fn

    def include(self, *others: Handlers) -> Handlers:
        """Add the registrations of `others` (a type registered twice is an error)."""
        for other in others:
            for event_type, handler in other._handlers.items():
                if event_type in self._handlers:
                    raise ValueError(f"{event_type} already has a handler")
                self._handlers[event_type] = handler
                self._classes[event_type] = other._classes[event_type]
        return self

    def also(self, other: Handlers) -> Handlers:
        """Add `other`'s registrations; a type both handle runs this one's handler, then
        `other`'s, in the same transaction (a feature reacting to events another already
        handles, without either knowing the other)."""
        for event_type, second in other._handlers.items():
            first = self._handlers.get(event_type)
            if first is None:
                self._handlers[event_type] = second
                self._classes[event_type] = other._classes[event_type]
                continue

            async def both(
                tx: Transaction,
                event: HandledEvent,
                first: EventHandler = first,
                second: EventHandler = second,
            ) -> None:
                await first(tx, event)
                await second(tx, event)

            self._handlers[event_type] = both
        return self

    def by_producer(self) -> dict[str, dict[str, EventHandler]]:
        """The handlers grouped by the producing service (one durable consumer each)."""
        grouped: dict[str, dict[str, EventHandler]] = {}
        for event_type, handler in self._handlers.items():
            grouped.setdefault(self._classes[event_type].PRODUCER, {})[event_type] = handler
        return grouped

    def event_classes(self) -> list[type[EventData]]:
        return list(self._classes.values())

    def __getitem__(self, event_type: str) -> EventHandler:
        return self._handlers[event_type]

    def __iter__(self) -> Iterator[str]:
        return iter(self._handlers)

    def __len__(self) -> int:
        return len(self._handlers)


def _declared(fn: Callable[..., Any]) -> tuple[list[type[EventData]], bool]:
    """The event classes `fn` handles, and whether it wants the whole `Handled` event."""
    params = list(inspect.signature(fn).parameters.values())
    if len(params) != 2:
        raise TypeError(f"{fn.__qualname__} must take (tx, event): {len(params)} parameters")
    try:
        hints = typing.get_type_hints(fn)
    except NameError as exc:
        raise TypeError(
            f"{fn.__qualname__}: its annotations must name module-level types ({exc})"
        ) from exc
    hint = hints.get(params[1].name)
    if hint is None:
        raise TypeError(f"{fn.__qualname__}: annotate `{params[1].name}` with the event type")
    wants_envelope = typing.get_origin(hint) is Handled
    if wants_envelope:
        (hint,) = typing.get_args(hint) or (None,)
    members = (
        typing.get_args(hint)
        if typing.get_origin(hint) in (typing.Union, types.UnionType)
        else (hint,)
    )
    classes: list[type[EventData]] = []
    for member in members:
        if not (
            isinstance(member, type)
            and issubclass(member, EventData)
            and hasattr(member, "EVENT_TYPE")
        ):
            raise TypeError(f"{fn.__qualname__}: {member!r} is not an event type")
        classes.append(member)
    return classes, wants_envelope

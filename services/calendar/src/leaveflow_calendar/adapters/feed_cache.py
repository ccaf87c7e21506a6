"""Rendered feeds kept in this process, least recently used first out, within a byte budget.

Per process on purpose: every instance checks the tenant's version in the store before it
answers from here, so an instance never serves what another one's events made stale.
"""

from __future__ import annotations

from collections import OrderedDict

from ..service_layer.feeds import RenderedFeed

DEFAULT_BUDGET = 64 * 1024 * 1024


def _weight(rendered: RenderedFeed) -> int:
    return len(rendered.body) + len(rendered.gzipped)


class MemoryFeedCache:
    def __init__(self, budget_bytes: int = DEFAULT_BUDGET) -> None:
        self.budget = budget_bytes
        self.size = 0
        self._entries: OrderedDict[str, RenderedFeed] = OrderedDict()

    def get(self, feed_id: str) -> RenderedFeed | None:
        found = self._entries.get(feed_id)
        if found is not None:
            self._entries.move_to_end(feed_id)
        return found

    def put(self, feed_id: str, rendered: RenderedFeed) -> None:
        self.drop(feed_id)
        self._entries[feed_id] = rendered
        self.size += _weight(rendered)
        while self.size > self.budget and len(self._entries) > 1:
            _, evicted = self._entries.popitem(last=False)
            self.size -= _weight(evicted)

    def drop(self, feed_id: str) -> None:
        gone = self._entries.pop(feed_id, None)
        if gone is not None:
            self.size -= _weight(gone)

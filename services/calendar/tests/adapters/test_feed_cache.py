"""The rendered-feed cache keeps within its byte budget, least recently used out first."""

from __future__ import annotations

from datetime import date

from leaveflow_calendar.adapters.feed_cache import MemoryFeedCache
from leaveflow_calendar.service_layer.feeds import RenderedFeed


def rendered(size: int) -> RenderedFeed:
    return RenderedFeed(b"x" * size, b"z" * 10, '"e"', 1, date(2026, 1, 1), "UTC", None)


def test_least_recently_used_feeds_go_first_when_over_budget() -> None:
    cache = MemoryFeedCache(budget_bytes=250)
    cache.put("a", rendered(90))
    cache.put("b", rendered(90))
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put("c", rendered(90))
    assert (cache.get("a") is not None, cache.get("b"), cache.get("c") is not None) == (
        True,
        None,
        True,
    )
    assert cache.size == 200


def test_replacing_and_dropping_keep_the_size_right() -> None:
    cache = MemoryFeedCache(budget_bytes=1000)
    cache.put("a", rendered(90))
    cache.put("a", rendered(40))
    assert cache.size == 50
    cache.drop("a")
    cache.drop("a")
    assert (cache.size, cache.get("a")) == (0, None)


def test_one_feed_bigger_than_the_budget_is_still_kept() -> None:
    cache = MemoryFeedCache(budget_bytes=10)
    cache.put("big", rendered(100))
    assert cache.get("big") is not None

"""A year end keeps its loaded year out of the collector's passes (service_layer/year_end):
the collector must come back as it was, and the heap unfrozen once the last job ends,
or, if it was frozen before (a service's start-up heap), frozen again without the job's
garbage."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from leaveflow_balances.service_layer.year_end import collector_paused, heap_frozen


@pytest.fixture(autouse=True)
def _collector_as_it_was() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.unfreeze()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_off_while_loading_and_back_on_with_the_load_frozen() -> None:
    gc.enable()
    with heap_frozen():
        with collector_paused():
            assert not gc.isenabled()
            loaded = [[n] for n in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(loaded)
    assert gc.get_freeze_count() == 0


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with heap_frozen(), collector_paused():
        pass
    assert not gc.isenabled()


def test_an_error_while_loading_still_restores_the_collector() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), heap_frozen(), collector_paused():
        raise RuntimeError("the store went away")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_overlapping_jobs_unfreeze_when_the_last_one_ends() -> None:
    first, second = heap_frozen(), heap_frozen()
    first.__enter__()
    second.__enter__()
    kept = [[n] for n in range(100)]
    gc.freeze()
    first.__exit__(None, None, None)
    assert gc.get_freeze_count() >= len(kept)  # the second job still runs
    second.__exit__(None, None, None)
    assert gc.get_freeze_count() == 0


def test_a_heap_frozen_before_the_job_stays_frozen() -> None:
    started_with = [[n] for n in range(100)]
    gc.freeze()  # as leaveflow_kit.runtime does at a service's start
    with heap_frozen(), collector_paused():
        pass
    # The collector's generations do not list frozen objects.
    tracked = {id(o) for o in gc.get_objects()}
    assert id(started_with) not in tracked
    assert not any(id(item) in tracked for item in started_with)


class _Node:
    """Something a weak reference can watch, in a cycle with itself."""

    def __init__(self) -> None:
        self.me = self


def test_a_jobs_garbage_cycles_are_freed_when_the_start_up_heap_was_frozen() -> None:
    started_with = [[n] for n in range(100)]
    gc.freeze()  # as leaveflow_kit.runtime does at a service's start
    with heap_frozen(), collector_paused():
        cycle = _Node()
        watch = weakref.ref(cycle)
        del cycle  # garbage now, but frozen with the job's load: only a collection frees it
    assert watch() is None
    assert gc.get_freeze_count() >= len(started_with)  # what lives is frozen again

"""`make bench`: the broker's ceiling (a) against the whole pipeline (b), on a private stack.

Starts its own stack on free ports in a temp dir (so it never touches `make run`'s data),
runs both stages, prints one table, and always stops the stack. Data and logs are kept when
something failed (or with --keep), and the path is printed.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import signal
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from .bench_balances import QueryResult, YearEndResult, measure_balance_query, measure_year_end
from .bench_broker import BrokerResult, measure_jetstream
from .bench_feed import FeedResult, measure_feed
from .bench_pipeline import BenchError, PipelineResult, measure_pipeline
from .stack import Stack, StackError


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def report(
    broker: BrokerResult,
    pipeline: PipelineResult,
    n: int,
    concurrency: int,
    stack_s: float,
    feed: FeedResult | None = None,
) -> Table:
    table = Table(title=f"Leaveflow bench: n={n}, HTTP concurrency={concurrency}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("note", style="dim")
    table.add_row("stack start (nats + 4 services ready)", f"{stack_s:.2f} s", "")
    table.add_row(
        "(a) raw JetStream events/s",
        f"{broker.rate:,.0f}",
        f"{broker.events} events, publish (pipelined) -> fetch(100) + ack, "
        f"{broker.seconds:.2f} s (publish {broker.publish_seconds:.2f} s)",
    )
    table.add_row(
        "(b) pipeline events/s",
        f"{pipeline.rate:,.0f}",
        f"{pipeline.submitted} leave requests, HTTP submit -> pending in requests and "
        f"balances, {pipeline.seconds:.2f} s",
    )
    ratio = pipeline.rate / broker.rate if broker.rate else 0.0
    table.add_row("ratio b/a", f"{ratio:.3f}", "share of the broker's ceiling the services reach")
    submit_rate = pipeline.submitted / pipeline.submit_seconds if pipeline.submit_seconds else 0
    table.add_row(
        "HTTP submit rate", f"{submit_rate:,.0f} req/s", f"{pipeline.submit_errors} errors"
    )
    latencies = pipeline.latencies
    resolution = f"watched via {pipeline.watch_mode} polling (resolution ~50 ms or more)"
    table.add_row("submit -> pending p50", f"{percentile(latencies, 0.5) * 1000:,.0f} ms", "")
    table.add_row("submit -> pending p99", f"{percentile(latencies, 0.99) * 1000:,.0f} ms", "")
    table.add_row(
        "submit -> pending max", f"{(latencies[-1] if latencies else 0) * 1000:,.0f} ms", resolution
    )
    table.add_row(
        "requests / balances done at",
        f"{pipeline.requests_seconds:.2f} / {pipeline.balances_seconds:.2f} s",
        "after the first submit",
    )
    if feed is not None:
        _feed_rows(table, feed)
    return table


def _feed_rows(table: Table, feed: FeedResult) -> None:
    what = f"{feed.employees:,} employees, {feed.leaves:,} leaves, {feed.bytes / 1e6:.1f} MB"
    table.add_row("(c) feed set-up", f"{feed.setup_seconds:.1f} s", what + " via the API")
    table.add_row(
        "(c) feed first fetch", f"{feed.cold_seconds * 1000:,.0f} ms", "a new feed: renders"
    )
    for label, values in (("warm", feed.warm), ("304", feed.not_modified)):
        for fraction in (0.5, 0.99):
            table.add_row(
                f"(c) feed {label} p{round(fraction * 100)}",
                f"{percentile(values, fraction) * 1000:,.1f} ms",
                f"{len(values)} sequential fetches" if fraction == 0.5 else "",
            )


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<32}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def balances_report(year_end: YearEndResult | None, query: QueryResult | None) -> Table:
    table = Table(title="Leaveflow bench: balances")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("note", style="dim")
    if year_end is not None:
        rate = year_end.employees / year_end.seconds if year_end.seconds else 0.0
        table.add_row(
            f"(d) year end, {year_end.employees:,} employees x 3 types",
            f"{year_end.seconds:.2f} s",
            f"{rate:,.0f} employees/s, {year_end.carried:,} carry-overs, in process on "
            f"SQLite (seeded in {year_end.seed_seconds:.1f} s); target < 60 s",
        )
    if query is not None:
        lat = query.latencies
        note = f"{len(lat)} sequential GETs over HTTP, {query.history_entries} ledger entries"
        if not query.quiet:
            note += " (the stack was still busy with earlier events)"
        table.add_row("(e) balance query p50", f"{percentile(lat, 0.5) * 1000:.2f} ms", note)
        table.add_row(
            "(e) balance query p99", f"{percentile(lat, 0.99) * 1000:.2f} ms", "target < 10 ms"
        )
    return table


def _measure(
    stack: Stack, n: int, concurrency: int, time_limit: float, console: Console
) -> tuple[BrokerResult, PipelineResult]:
    with _progress(console) as progress:
        broker = asyncio.run(measure_jetstream(stack.nats_url, n, progress, time_limit))
    # Printed at once: the broker's number is worth having even if the pipeline fails.
    console.print(f"(a) raw JetStream: [bold]{broker.rate:,.0f}[/] events/s")
    with _progress(console) as progress:
        pipeline = asyncio.run(measure_pipeline(stack.urls, n, concurrency, progress, time_limit))
    return broker, pipeline


STAGES = ("pipeline", "feed", "yearend", "query")


def _measure_balances(
    stack: Stack | None, stages: Sequence[str], employees: int, samples: int, console: Console
) -> tuple[YearEndResult | None, QueryResult | None]:
    year_end = query = None
    # Queries first: the year end leaves this process a big heap, and the client's own
    # garbage collection pauses would be timed as the service's latency.
    if "query" in stages and stack is not None:
        with _progress(console) as progress:
            query = measure_balance_query(stack.urls, stack.nats_monitor_url, samples, progress)
    if "yearend" in stages:
        with _progress(console) as progress:
            year_end = asyncio.run(measure_year_end(employees, progress))
        console.print(f"(d) year end: [bold]{year_end.seconds:.2f} s[/]")
    return year_end, query


def _measure_feed(
    stack: Stack, employees: int, concurrency: int, time_limit: float, console: Console
) -> FeedResult | None:
    """Stage (c); a failure is reported and the other stages' table still printed."""
    if employees <= 0:
        return None
    try:
        with _progress(console) as progress:
            return asyncio.run(
                measure_feed(dict(stack.urls), employees, concurrency, progress, time_limit)
            )
    except (BenchError, TimeoutError) as exc:
        console.print("[bold red]feed bench failed:[/]", escape(str(exc)), highlight=False)
        return None


def main(
    n: int = 2000,
    concurrency: int = 32,
    timeout: float = 300.0,
    keep: bool = False,
    stages: Sequence[str] = STAGES,
    employees: int = 100_000,
    samples: int = 1000,
    feed_employees: int = 1000,
    store: str = "sqlite",
) -> int:
    console = Console()
    # SIGTERM behaves like Ctrl-C, so the `finally` below stops the stack either way.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    data_dir = Path(tempfile.mkdtemp(prefix="leaveflow-bench-"))
    # Quiet services: per-request INFO logging would be measured too.
    stack = Stack(data_dir, ports=Stack.free_ports(), env={"LOG_LEVEL": "WARNING"}, store=store)
    ok = False
    needs_stack = "pipeline" in stages or "query" in stages
    try:
        stack_seconds = 0.0
        if needs_stack:
            with console.status("starting a private stack on free ports..."):
                started = time.perf_counter()
                stack.start()
                stack_seconds = time.perf_counter() - started
            console.print(f"services' store: {stack.store_label}", highlight=False)
        ok = True
        if "pipeline" in stages:
            broker, pipeline = _measure(stack, n, concurrency, timeout, console)
            feed = (
                _measure_feed(stack, feed_employees, concurrency, timeout, console)
                if "feed" in stages
                else None
            )
            console.print(report(broker, pipeline, n, concurrency, stack_seconds, feed))
            for note in [*pipeline.notes, *(feed.notes if feed else [])]:
                console.print(f"[yellow]note:[/] {note}", highlight=False)
            ok = pipeline.submitted == n and len(pipeline.latencies) == n and pipeline.seconds > 0
            if "feed" in stages and feed_employees > 0:
                ok = ok and feed is not None and not feed.notes
            if not ok:
                console.print(
                    f"[bold red]incomplete:[/] {pipeline.submitted}/{n} submitted "
                    f"({pipeline.first_submit_error or 'no error'}), "
                    f"{len(pipeline.latencies)} seen pending"
                )
        year_end, query = _measure_balances(
            stack if needs_stack else None, stages, employees, samples, console
        )
        if year_end or query:
            console.print(balances_report(year_end, query))
    except (StackError, BenchError, TimeoutError, RuntimeError, AssertionError) as exc:
        ok = False
        console.print("[bold red]bench failed:[/]", escape(str(exc)), highlight=False)
    except KeyboardInterrupt:
        ok = False
        console.print("[yellow]interrupted[/]")
    finally:
        stack.stop()
        if ok and not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            console.print(f"data and logs kept in {data_dir}")
    return 0 if ok else 1

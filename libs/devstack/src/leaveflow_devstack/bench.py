"""`make bench`: every figure of issue 19 against its target, beside a same-run raw baseline.

Starts its own stack on free ports in a temp dir (so it never touches `make run`'s data),
runs the stages, prints one table, and always stops the stack. Data and logs are kept when
something failed (or with --keep), and the path is printed. The MongoDB stage starts a
second stack on the store's stand-in (or MONGO_URL) and measures the same pipeline there.

`--quick` (`make bench QUICK=1`) runs every stage smaller so the whole takes a few minutes;
its figures are labelled as such (a 50,000-person target measured on 5,000 people is a hint,
not the figure).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
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

from .bench_balances import (
    QueryResult,
    YearEndResult,
    measure_balance_query,
    measure_year_end,
    wait_for_quiet_consumers,
)
from .bench_broker import BrokerResult, measure_jetstream
from .bench_company import CompanyResult, measure_company
from .bench_feed import FeedResult, measure_feed
from .bench_pipeline import BenchError, PipelineFigures, measure_pipeline
from .bench_report import Figure, at_least, at_most, load_average, percentile, render
from .bench_resources import Resources, measure_resources
from .stack import Stack, StackError

__all__ = ["QUICK", "STAGES", "Settings", "main", "percentile"]

STAGES = ("pipeline", "openloop", "company", "query", "resources", "yearend", "mongo")
RATES = (50, 100, 200, 400)
MB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    n: int = 3000
    concurrency: int = 32
    timeout: float = 300.0
    keep: bool = False
    stages: Sequence[str] = STAGES
    employees: int = 100_000  # year end
    samples: int = 1000  # balance queries
    company: int = 50_000
    rates: Sequence[int] = RATES
    rate_seconds: float = 10.0
    idle_seconds: float = 30.0
    mongo_n: int = 300  # the mongoeco stand-in manages a few submits per second
    feed_employees: int = 0  # the older tenant-feed stage (c); 0: not run
    store: str = "sqlite"
    quick: bool = False


# `--quick`: every stage smaller, the whole bench in a few minutes.
QUICK = Settings(
    n=500,
    employees=10_000,
    samples=300,
    company=5_000,
    rate_seconds=3.0,
    idle_seconds=10.0,
    mongo_n=100,
    quick=True,
)


@dataclass
class Run:
    """Everything measured, kept for the table."""

    stack_seconds: float = 0.0
    broker: BrokerResult | None = None
    pipeline: PipelineFigures | None = None
    feed: FeedResult | None = None
    company: CompanyResult | None = None
    query: QueryResult | None = None
    resources: Resources | None = None
    year_end: YearEndResult | None = None
    mongo_broker: BrokerResult | None = None
    mongo_pipeline: PipelineFigures | None = None
    mongo_label: str = ""
    notes: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    complete: bool = True


def _ms(values: Sequence[float], fraction: float) -> float:
    return percentile(values, fraction) * 1000


def cpu_figures(per_submit: Mapping[str, float], prefix: str = "") -> list[Figure]:
    """CPU per submit by process, and the ceiling it sets: this machine's cores / total.

    CPU seconds (from /proc) do not stretch when the machine is busy, as wall time does,
    so they are the steadiest figure of the run and the cost model's measured ceiling.
    """
    if not per_submit:
        return []
    total = sum(per_submit.values())
    served = total - per_submit.get("bench", 0.0)
    cores = os.cpu_count() or 1
    rows = [
        Figure(f"{prefix}(b) CPU per submit, {name}", seconds * 1000, "ms")
        for name, seconds in sorted(per_submit.items(), key=lambda item: -item[1])
    ]
    rows.append(
        Figure(
            f"{prefix}(b) CPU per submit, the stack",
            served * 1000,
            "ms",
            note=f"services and nats{' (not the MongoDB servers)' if prefix else ''}; "
            f"with the load generator {total * 1000:.2f} ms",
        )
    )
    rows.append(
        Figure(
            f"{prefix}(b) ceiling set by CPU",
            cores / total if total else 0.0,
            "/s",
            note=f"{cores} cores / CPU per submit of every process above, bench included",
        )
    )
    return rows


def pipeline_figures(
    broker: BrokerResult, figures: PipelineFigures, label: str = ""
) -> list[Figure]:
    closed = figures.closed
    ratio = closed.rate / broker.rate if broker.rate else 0.0
    submit_rate = closed.submitted / closed.submit_seconds if closed.submit_seconds else 0.0
    prefix = f"{label} " if label else ""
    rows = [
        Figure(
            f"{prefix}(a) raw JetStream",
            broker.rate,
            "/s",
            note=f"baseline, same run: {broker.events} events pipelined publish -> fetch(100)+ack",
        ),
        Figure(
            f"{prefix}(b) pipeline, submits/s end to end",
            closed.rate,
            "/s",
            at_least(1000),
            f"{closed.submitted} HTTP submits -> reserved in balances and pending in requests, "
            f"heard on the stream; {closed.seconds:.2f} s",
        ),
        Figure(
            f"{prefix}(b) ratio pipeline / raw JetStream",
            ratio,
            "",
            at_least(0.05),
            "the figure that travels between machines",
        ),
        Figure(
            f"{prefix}(b) errors",
            closed.submit_errors + closed.submitted - closed.seen,
            "n",
            at_most(0),
            closed.first_submit_error[:80] or "refused submits + accepted never heard pending",
        ),
        Figure(
            f"{prefix}(b) HTTP submit alone",
            submit_rate,
            "/s",
            at_least(1500) if not label else None,
            f"202s per second while submitting, concurrency {figures.closed_concurrency}",
        ),
        Figure(f"{prefix}(b) submit -> pending p50", _ms(closed.latencies, 0.5), "ms"),
        Figure(f"{prefix}(b) submit -> pending p99", _ms(closed.latencies, 0.99), "ms"),
        *cpu_figures(figures.cpu_per_submit, prefix),
    ]
    for run in figures.open_loop:
        rows.append(
            Figure(
                f"{prefix}(f) open loop {run.rate}/s: submit -> pending p50",
                _ms(run.latencies, 0.5),
                "ms",
                note=f"{run.offered} offered, {run.achieved:,.0f}/s accepted, {run.errors} errors",
            )
        )
        rows.append(
            Figure(
                f"{prefix}(f) open loop {run.rate}/s: submit -> pending p99",
                _ms(run.latencies, 0.99),
                "ms",
                at_most(100) if run.rate == 200 else None,
                "from the intended send time (no coordinated omission)",
            )
        )
    return rows


def company_figures(company: CompanyResult, quick: bool) -> list[Figure]:
    scale = " (QUICK: smaller than the target's company)" if quick else ""
    people = f"{company.employees:,} people"
    return [
        Figure(
            f"(g) CSV import of {company.employees:,} rows",
            company.import_seconds,
            "s",
            at_most(60),
            f"{company.import_files} files of at most 10,000 rows (the API's limit per file), "
            "one after the other" + scale,
        ),
        Figure(
            "(g) GET /v1/employees page p99",
            _ms(company.employee_pages, 0.99),
            "ms",
            at_most(20),
            f"every page of {people} walked, {len(company.employee_pages)} pages of 100; "
            f"p50 {_ms(company.employee_pages, 0.5):.1f} ms",
        ),
        Figure(
            "(g) who's-off, whole tenant, a month, p99",
            _ms(company.whos_off, 0.99),
            "ms",
            at_most(200),
            f"{company.whos_off_items:,} leaves in the answer, {len(company.whos_off)} sequential;"
            f" p50 {_ms(company.whos_off, 0.5):.1f} ms",
        ),
        Figure(
            f"(g) team calendar page, {company.team}-person department, p99",
            _ms(company.team_page, 0.99),
            "ms",
            at_most(300),
            f"web, signed in, month view; p50 {_ms(company.team_page, 0.5):.0f} ms",
        ),
        Figure(
            f"(g) iCal feed, {company.big:,}-person department, warm p99",
            _ms(company.feed_warm, 0.99),
            "ms",
            at_most(20),
            f"{company.feed_bytes / 1e6:.2f} MB; p50 {_ms(company.feed_warm, 0.5):.1f} ms",
        ),
        Figure(
            "(g) iCal feed, same department, 304 p99",
            _ms(company.feed_304, 0.99),
            "ms",
            at_most(2),
            f"If-None-Match; p50 {_ms(company.feed_304, 0.5):.2f} ms",
        ),
    ]


def other_figures(run: Run, settings: Settings) -> list[Figure]:
    rows: list[Figure] = []
    if run.query is not None:
        lat = run.query.latencies
        busy = "" if run.query.quiet else "; the stack was still busy with earlier events"
        rows.append(
            Figure(
                "(e) balance with 5 years of history p99",
                _ms(lat, 0.99),
                "ms",
                at_most(3),
                f"{len(lat)} sequential GETs, {run.query.history_entries} ledger entries; "
                f"p50 {_ms(lat, 0.5):.2f} ms{busy}",
            )
        )
    if run.resources is not None:
        for name, size in sorted(run.resources.rss.items()):
            if name == "nats":
                continue
            rows.append(
                Figure(
                    f"(h) RSS {name}",
                    size / MB,
                    "MB",
                    at_most(300),
                    "after the company stage" if run.company else "",
                )
            )
        busiest = max(run.resources.idle_cpu.items(), key=lambda kv: kv[1], default=("", 0.0))
        rows.append(
            Figure(
                "(h) idle stack CPU",
                run.resources.idle_share * 100,
                "%",
                at_most(2),
                f"of one core over {run.resources.idle_seconds:.0f} s, nats included; "
                f"busiest {busiest[0]} {busiest[1] * 100:.2f} %",
            )
        )
    if run.year_end is not None:
        ye = run.year_end
        scale = " (QUICK: fewer employees than the target)" if settings.quick else ""
        rows.append(
            Figure(
                f"(d) year end, {ye.employees:,} employees x 3 types",
                ye.seconds,
                "s",
                at_most(10) if ye.employees >= 100_000 else None,
                f"{ye.employees / ye.seconds if ye.seconds else 0:,.0f} employees/s, "
                f"{ye.carried:,} carry-overs, SQLite in process{scale}",
            )
        )
    return rows


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _pipeline(
    stack: Stack, settings: Settings, rates: Sequence[int], n: int, console: Console
) -> tuple[BrokerResult, PipelineFigures]:
    with _progress(console) as progress:
        broker = asyncio.run(measure_jetstream(stack.nats_url, max(n, 2000), progress))
    # Printed at once: the broker's number is worth having even if the pipeline fails.
    console.print(f"(a) raw JetStream: [bold]{broker.rate:,.0f}[/] events/s")
    with _progress(console) as progress:
        figures = asyncio.run(
            measure_pipeline(
                stack.urls,
                stack.nats_url,
                n,
                settings.concurrency,
                progress,
                settings.timeout,
                rates=rates,
                rate_seconds=settings.rate_seconds,
                pids=stack.pids,
            )
        )
    return broker, figures


def _start(stack: Stack, console: Console) -> float:
    with console.status(f"starting a private stack on free ports ({stack.store})..."):
        started = time.perf_counter()
        stack.start()
        seconds = time.perf_counter() - started
    console.print(f"services' store: {stack.store_label}", highlight=False)
    return seconds


def _on_sqlite(stack: Stack, settings: Settings, run: Run, console: Console) -> None:
    stages = settings.stages
    if "pipeline" in stages:
        rates = settings.rates if "openloop" in stages else ()
        run.broker, run.pipeline = _pipeline(stack, settings, rates, settings.n, console)
        closed = run.pipeline.closed
        run.notes += closed.notes
        run.complete = closed.submitted == settings.n and closed.seen == settings.n
    if settings.feed_employees > 0:
        with _progress(console) as progress:
            run.feed = asyncio.run(
                measure_feed(
                    dict(stack.urls),
                    settings.feed_employees,
                    settings.concurrency,
                    progress,
                    settings.timeout,
                )
            )
        run.notes += run.feed.notes
    if "company" in stages:
        try:
            with _progress(console) as progress:
                run.company = asyncio.run(
                    measure_company(
                        dict(stack.urls),
                        settings.company,
                        settings.concurrency,
                        progress,
                        settings.timeout,
                    )
                )
            run.notes += run.company.notes
            run.info += run.company.info
        except (BenchError, TimeoutError, aiohttp.ClientError) as exc:
            # The other stages' figures are still worth having.
            run.notes.append(f"the company stage failed: {exc}")
    if "query" in stages:
        try:
            with _progress(console) as progress:
                run.query = measure_balance_query(
                    stack.urls, stack.nats_monitor_url, settings.samples, progress
                )
        except (httpx.HTTPError, RuntimeError, TimeoutError) as exc:
            # A stack still busy with the company's backlog can time its set-up out: the
            # figures measured so far are still printed.
            run.notes.append(f"the balance query stage failed: {exc!r}")
    if "resources" in stages:
        with console.status(f"idle for {settings.idle_seconds:.0f} s: CPU and memory..."):
            # Idle means no event left to handle: the company stage's 6,000 leaves are
            # still being consumed when it ends, and that work is not idle cost.
            if not wait_for_quiet_consumers(stack.nats_monitor_url):
                run.notes.append("the consumers were still busy when the idle CPU was measured")
            time.sleep(5)  # the last stragglers (relays, renders, replicas) settle first
            run.resources = measure_resources(stack.pids, settings.idle_seconds)


def _on_mongo(settings: Settings, run: Run, console: Console) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="leaveflow-bench-mongo-"))
    stack = Stack(data_dir, ports=Stack.free_ports(), env={"LOG_LEVEL": "WARNING"}, store="mongo")
    ok = False
    try:
        _start(stack, console)
        run.mongo_label = stack.store_label
        run.mongo_broker, run.mongo_pipeline = _pipeline(
            stack, settings, (), settings.mongo_n, console
        )
        run.notes += [f"mongo: {note}" for note in run.mongo_pipeline.closed.notes]
        ok = True
    except (StackError, BenchError, TimeoutError, RuntimeError) as exc:
        run.notes.append(f"the MongoDB stage failed: {exc}")
    finally:
        stack.stop()
        if ok and not settings.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            console.print(f"MongoDB stage data and logs kept in {data_dir}")


def figures_of(run: Run, settings: Settings) -> list[Figure]:
    rows = [Figure("stack start (nats + services ready)", run.stack_seconds, "s")]
    if run.broker and run.pipeline:
        rows += pipeline_figures(run.broker, run.pipeline)
    if run.company:
        rows += company_figures(run.company, settings.quick)
    rows += other_figures(run, settings)
    if run.mongo_broker and run.mongo_pipeline:
        rows += pipeline_figures(run.mongo_broker, run.mongo_pipeline, label="MongoDB stand-in")
    return rows


def main(settings: Settings) -> int:
    console = Console()
    if not console.is_terminal:
        # A log or a pipe: wide enough that the table's notes stay on one line each.
        console = Console(width=200)
    # SIGTERM behaves like Ctrl-C, so the `finally` below stops the stack either way.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    data_dir = Path(tempfile.mkdtemp(prefix="leaveflow-bench-"))
    # Quiet services: per-request INFO logging would be measured too.
    stack = Stack(
        data_dir, ports=Stack.free_ports(), env={"LOG_LEVEL": "WARNING"}, store=settings.store
    )
    run = Run()
    load_before = load_average()
    ok = True
    needs_stack = {"pipeline", "company", "query", "resources"} & set(settings.stages)
    try:
        if needs_stack:
            run.stack_seconds = _start(stack, console)
            _on_sqlite(stack, settings, run, console)
        stack.stop()
        if "yearend" in settings.stages:
            with _progress(console) as progress:
                run.year_end = asyncio.run(measure_year_end(settings.employees, progress))
        if "mongo" in settings.stages and settings.store == "sqlite":
            _on_mongo(settings, run, console)
    except (
        StackError,
        BenchError,
        TimeoutError,
        RuntimeError,
        AssertionError,
        httpx.HTTPError,
        aiohttp.ClientError,
    ) as exc:
        ok = False
        console.print("[bold red]bench failed:[/]", escape(str(exc)), highlight=False)
    except KeyboardInterrupt:
        ok = False
        console.print("[yellow]interrupted[/]")
    finally:
        stack.stop()
    mode = "QUICK, " if settings.quick else ""
    title = (
        f"Leaveflow bench ({mode}n={settings.n}, concurrency {settings.concurrency}, "
        f"store {settings.store})"
    )
    caption = (
        f"Machine: 2 cores shared with other work; {load_before} at the start, "
        f"{load_average()} at the end. Absolute figures move with the load; ratios "
        "against the same-run raw baseline hold better."
    )
    console.print(render(title, figures_of(run, settings), caption))
    if run.mongo_label:
        console.print(f"MongoDB stage: {run.mongo_label}", highlight=False)
    for line in run.info:
        console.print(f"info: {escape(line)}", highlight=False)
    for note in run.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    ok = ok and run.complete and not run.notes
    if not ok or settings.keep:
        console.print(f"data and logs kept in {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if ok else 1

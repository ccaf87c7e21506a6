"""`python -m leaveflow_devstack run|bench`."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leaveflow_devstack")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the stack in the foreground (make run)")
    run.add_argument(
        "--store",
        choices=("sqlite", "mongo"),
        default="sqlite",
        help="sqlite (make run) or mongo: MONGO_URL or the mongoeco stand-in (make run-mongo)",
    )
    bench = commands.add_parser("bench", help="measure the event pipeline (make bench)")
    bench.add_argument("--n", type=int, default=2000, help="events / leave requests (2000)")
    bench.add_argument(
        "--store",
        choices=("sqlite", "mongo"),
        default="sqlite",
        help="the services' store: sqlite, or mongo (MONGO_URL or the mongoeco stand-in); "
        "the year-end stage always seeds its own SQLite file",
    )
    bench.add_argument("--concurrency", type=int, default=32, help="HTTP requests in flight")
    bench.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for all")
    bench.add_argument("--keep", action="store_true", help="keep the temp data dir and logs")
    bench.add_argument(
        "--stages",
        default="pipeline,feed,yearend,query",
        help="comma-separated: pipeline (a+b), feed (iCal, after the pipeline), yearend, query",
    )
    bench.add_argument("--employees", type=int, default=100_000, help="year-end employees")
    bench.add_argument("--samples", type=int, default=1000, help="balance queries timed")
    bench.add_argument(
        "--feed-employees",
        type=int,
        default=1000,
        help="employees of the iCal feed stage, each with a year of leave (0: skip it)",
    )
    args = parser.parse_args(argv)

    # Imported lazily: `run` should not pay for aiohttp and nats-py.
    if args.command == "run":
        from .run import main as run_main

        return run_main(store=args.store)
    from .bench import main as bench_main

    return bench_main(
        n=args.n,
        concurrency=args.concurrency,
        timeout=args.timeout,
        keep=args.keep,
        stages=[s.strip() for s in args.stages.split(",") if s.strip()],
        employees=args.employees,
        samples=args.samples,
        feed_employees=args.feed_employees,
        store=args.store,
    )


if __name__ == "__main__":
    sys.exit(main())

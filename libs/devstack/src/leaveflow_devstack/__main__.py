"""`python -m leaveflow_devstack run|bench`."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any


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
    bench = commands.add_parser("bench", help="measure every figure of issue 19 (make bench)")
    bench.add_argument("--quick", action="store_true", help="every stage smaller: minutes")
    bench.add_argument("--n", type=int, help="closed-loop leave requests (3000; quick 500)")
    bench.add_argument(
        "--store",
        choices=("sqlite", "mongo"),
        default="sqlite",
        help="the services' store: sqlite (then the mongo stage runs the pipeline again on "
        "MongoDB), or mongo only (MONGO_URL or the mongoeco stand-in)",
    )
    bench.add_argument("--concurrency", type=int, help="closed-loop HTTP requests in flight")
    bench.add_argument("--timeout", type=float, help="seconds to wait for each stage")
    bench.add_argument("--keep", action="store_true", help="keep the temp data dir and logs")
    bench.add_argument(
        "--stages",
        help="comma-separated, of: pipeline,openloop,company,query,resources,yearend,mongo (all)",
    )
    bench.add_argument("--employees", type=int, help="year-end employees (100,000)")
    bench.add_argument("--samples", type=int, help="balance queries timed (1000)")
    bench.add_argument("--company", type=int, help="people of the large tenant (50,000)")
    bench.add_argument("--rates", help="open-loop submits/s, comma-separated (50,100,200,400)")
    bench.add_argument("--rate-seconds", type=float, help="seconds of each open-loop rate (10)")
    bench.add_argument("--idle-seconds", type=float, help="idle CPU measured over (30)")
    bench.add_argument("--mongo-n", type=int, help="closed-loop requests on MongoDB (300)")
    bench.add_argument(
        "--feed-employees", type=int, help="the older tenant-feed stage's employees (0: skip)"
    )
    args = parser.parse_args(argv)

    # Imported lazily: `run` should not pay for aiohttp and nats-py.
    if args.command == "run":
        from .run import main as run_main

        return run_main(store=args.store)
    from .bench import QUICK, STAGES, Settings
    from .bench import main as bench_main

    given: dict[str, Any] = {
        key: value
        for key, value in {
            "n": args.n,
            "concurrency": args.concurrency,
            "timeout": args.timeout,
            "employees": args.employees,
            "samples": args.samples,
            "company": args.company,
            "rate_seconds": args.rate_seconds,
            "idle_seconds": args.idle_seconds,
            "mongo_n": args.mongo_n,
            "feed_employees": args.feed_employees,
        }.items()
        if value is not None
    }
    if args.stages:
        stages = [s.strip() for s in args.stages.split(",") if s.strip()]
        if unknown := set(stages) - set(STAGES):
            parser.error(f"unknown stages: {', '.join(sorted(unknown))}")
        given["stages"] = stages
    if args.rates:
        given["rates"] = [int(r) for r in args.rates.split(",") if r.strip()]
    settings = replace(
        QUICK if args.quick else Settings(), keep=args.keep, store=args.store, **given
    )
    return bench_main(settings)


if __name__ == "__main__":
    sys.exit(main())

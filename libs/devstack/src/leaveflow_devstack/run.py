"""`make run`: the whole stack in the foreground on the default ports, data kept in ./.data.

`make run-mongo` (``run --store mongo``): the same with every service on MongoDB, the one at
``MONGO_URL`` (a replica set) or else the mongoeco stand-in, one per service on ``MONGO_PORT``
(27017) and up, which keeps nothing: its run starts from empty databases in
./.data/mongo-standin, cleared first.

Ctrl-C or SIGTERM stops every process it started and exits 0.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from .ports import APPS, DEFAULT_PORTS, WEB, PortInUseError
from .stack import Stack, StackError

_HEALTH_CHECK_INTERVAL = 1.0
DEFAULT_MONGO_PORT = 27017
# The name the dashboard is opened by (it listens on 127.0.0.1): passkeys need a name.
PUBLIC_HOST = "localhost"


class Shutdown(BaseException):
    """Raised in the main thread by SIGINT/SIGTERM; a BaseException so nothing swallows it."""


def ports_from_env(environ: Mapping[str, str]) -> dict[str, int]:
    """Default ports, overridden by ``<NAME>_PORT``, ``NATS_PORT``, ``NATS_MONITOR_PORT``."""
    ports = dict(DEFAULT_PORTS)
    for key in ports:
        value = environ.get(f"{key.upper()}_PORT")
        if value:
            ports[key] = int(value)
    return ports


def curl_example(requests_url: str) -> str:
    return f"""\
# sign up a tenant (you become its admin) and keep its id
TENANT=$(curl -s -X POST {requests_url}/v1/tenants \\
  -H 'content-type: application/json' \\
  -d '{{"name": "Acme", "admin_name": "Ada Admin",
       "admin_email": "ada@acme.test", "timezone": "Europe/Berlin"}}' \\
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["tenant_id"])')
# dev login: a bearer token for any employee of the tenant, by email
TOKEN=$(curl -s -X POST {requests_url}/v1/auth/dev-login \\
  -H 'content-type: application/json' \\
  -d "{{\\"tenant_id\\": \\"$TENANT\\", \\"email\\": \\"ada@acme.test\\"}}" \\
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
curl -s {requests_url}/v1/leave-types -H "authorization: Bearer $TOKEN\""""


def ready_panel(stack: Stack, started_in: float) -> Panel:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan")
    table.add_column()
    table.add_column(style="dim")
    for name, url in stack.urls.items():
        if name == WEB:
            dashboard = stack.dashboard_url
            table.add_row("web", dashboard, "the dashboard: open this", style="bold green")
        else:
            table.add_row(name, url, f"{url}/docs")
    table.add_row("nats", stack.nats_url, f"monitor {stack.nats_monitor_url}")
    if stack.store == "mongo":
        if stack.mongo is not None:
            table.add_row(
                "mongodb",
                "the mongoeco STAND-IN: not a real MongoDB, data in memory only",
                "one per service",
                style="bold yellow",
            )
            for name, url in stack.database_urls.items():
                table.add_row(f"  {name}", url, "")
        else:
            table.add_row("mongodb", stack.store_label, "MONGO_URL")
            table.add_row("databases", f"{stack.database_prefix}_<service>", "one per service")
    else:
        table.add_row("store", "SQLite", "one file per service in the data dir")
    table.add_row("data", str(stack.data_dir), f"logs in {stack.log_dir}")
    return Panel(
        table,
        title=f"Leaveflow is up ({started_in:.1f}s)",
        subtitle="Ctrl-C stops everything",
        border_style="green",
        expand=False,
    )


def print_ready(console: Console, stack: Stack, started_in: float) -> None:
    console.print(ready_panel(stack, started_in))
    if stack.mongo is not None:
        ports = sorted(stack.mongo.ports.values())
        console.print(
            f"[bold yellow]MongoDB: the mongoeco stand-in (one per service, 127.0.0.1:"
            f"{ports[0]}-{ports[-1]}) is NOT a real "
            "MongoDB and keeps its data in memory: everything is gone when this stops. "
            "For a real one: MONGO_URL='mongodb://HOST:27017/?replicaSet=rs0' make run-mongo[/]",
            highlight=False,
            soft_wrap=True,
        )
    elif stack.store == "mongo":
        console.print(f"MongoDB: {stack.store_label}", highlight=False, soft_wrap=True)
    web = stack.dashboard_url
    console.print(
        f"[bold green]Open the dashboard: {web}[/] (sign up a company at {web}/signup)",
        highlight=False,
        soft_wrap=True,
    )
    # Outside the panel and unwrapped, so a mouse copy gets no border characters.
    console.print("Try it (paste into a shell):", style="bold")
    console.print(
        curl_example(stack.urls["requests"]), markup=False, highlight=False, soft_wrap=True
    )


def _raise_shutdown(signum: int, frame: FrameType | None) -> None:
    # Ignore further signals: a second Ctrl-C must not interrupt the stop and orphan children.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Shutdown(signal.Signals(signum).name)


def _watch(stack: Stack, console: Console) -> None:
    """Idle until a signal; say so once if a process dies, with where to look."""
    reported: set[str] = set()
    while True:
        time.sleep(_HEALTH_CHECK_INTERVAL)
        for name in ("nats", *APPS):
            if name not in stack.pids and name not in reported:
                reported.add(name)
                console.print(
                    f"[bold red]{name} exited[/]; last lines of {stack.log_path(name)}:",
                    escape(stack.log_tail(name, 20)),
                    sep="\n",
                    highlight=False,
                )
        standins = stack.mongo.by_service if stack.mongo is not None else {}
        for name, standin in standins.items():
            key = f"mongo-{name}"
            if not standin.running and key not in reported:
                reported.add(key)
                console.print(
                    f"[bold red]the MongoDB stand-in of {name} exited[/] (its data is gone); "
                    f"see {standin.log_path}",
                    highlight=False,
                )


def build_stack(
    environ: Mapping[str, str], *, store: str = "sqlite", data_dir: Path | None = None
) -> Stack:
    """The stack `make run` (store="sqlite") or `make run-mongo` (store="mongo") starts."""
    root = data_dir or Path(environ.get("LEAVEFLOW_DATA_DIR", ".data"))
    # Database URLs and the rest of the service settings pass through the inherited
    # environment; only the wiring the stack itself decides is overridable here.
    overrides = {k: v for k, v in environ.items() if k.endswith("_DATABASE_URL")}
    ports = ports_from_env(environ)
    if store != "mongo":
        return Stack(root, ports=ports, env=overrides, store=store, public_host=PUBLIC_HOST)
    mongo_url = environ.get("MONGO_URL") or None
    # NATS streams and the signing key must not outlive the data they belong to: a run on
    # the stand-in (which forgets everything) gets its own directory, a real server its own.
    root = root / ("mongo" if mongo_url else "mongo-standin")
    mongo_port = int(environ.get("MONGO_PORT") or DEFAULT_MONGO_PORT)
    return Stack(
        root,
        ports=ports,
        env=overrides,
        store="mongo",
        mongo_url=mongo_url,
        mongo_port=mongo_port,
        public_host=PUBLIC_HOST,
    )


def main(data_dir: Path | None = None, *, store: str = "sqlite") -> int:
    console = Console()
    environ = os.environ
    stack = build_stack(environ, store=store, data_dir=data_dir)
    if stack.mongo is not None:
        shutil.rmtree(stack.data_dir, ignore_errors=True)
    signal.signal(signal.SIGINT, _raise_shutdown)
    signal.signal(signal.SIGTERM, _raise_shutdown)
    try:
        what = "the MongoDB stand-in, " if stack.mongo is not None else ""
        with console.status(f"starting {what}nats-server, the four services and the web..."):
            started = time.monotonic()
            stack.start()
        print_ready(console, stack, time.monotonic() - started)
        _watch(stack, console)
    except Shutdown as stop:
        console.print(f"[yellow]{stop}[/]: stopping...")
    except PortInUseError as exc:
        console.print("[bold red]cannot start:[/]", escape(str(exc)), highlight=False)
        target = "make run-mongo" if store == "mongo" else "make run"
        console.print(f"(to move it: {exc.key.upper()}_PORT=<port> {target})", highlight=False)
        return 1
    except StackError as exc:
        console.print("[bold red]cannot start:[/]", escape(str(exc)), highlight=False)
        return 1
    finally:
        stack.stop()
    console.print("[green]stopped[/]")
    return 0

"""A stand-in for a Leaveflow service: the supervisor's contract without FastAPI or a store.

Run as ``python fake_service.py <name>``. Reads ``<NAME>_PORT`` like the real services and
answers /healthz, /readyz (200 once NATS accepts a TCP connection) and /metrics. Behaviour
switches for the supervisor's tests, each naming the service it applies to:
``FAKE_CRASH`` (exit 3 at start), ``FAKE_NEVER_READY`` (/readyz stays 503),
``FAKE_GRANDCHILD`` (spawn a long sleep, as a reloader would), ``FAKE_IGNORE_TERM``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


def nats_reachable() -> bool:
    parts = urlsplit(os.environ["NATS_URL"])
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 4222), 1):
            return True
    except OSError:
        return False


def main(name: str) -> None:
    def flag(var: str) -> bool:
        return os.environ.get(var) == name

    if flag("FAKE_CRASH"):
        print(f"{name}: simulated crash: cannot open database", flush=True)
        sys.exit(3)
    if flag("FAKE_IGNORE_TERM"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if flag("FAKE_GRANDCHILD"):
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    never_ready = flag("FAKE_NEVER_READY")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._answer(200, "ok")
            elif self.path == "/readyz":
                ready = nats_reachable() and not never_ready
                self._answer(200 if ready else 503, "ready" if ready else "not ready")
            elif self.path == "/metrics":
                self._answer(200, f'fake_up{{service="{name}"}} 1\n')
            else:
                self._answer(404, "not found")

        def _answer(self, status: int, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    port = int(os.environ[f"{name.upper()}_PORT"])
    host = os.environ.get(f"{name.upper()}_HOST", "127.0.0.1")
    server = ThreadingHTTPServer((host, port), Handler)
    print(f"{name}: listening on {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])

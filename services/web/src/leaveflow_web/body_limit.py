"""Request bodies over a limit are refused (413) with a page, before any form parser reads them.

The web's forms are small; a 1 MiB ceiling (``LEAVEFLOW_MAX_BODY_BYTES``, as for every
service) leaves room for any of them while a 50 MB post cannot take the process's memory.
The employee CSV import has a larger, documented limit. The kit's middleware guards the same
figures but answers problem+json, which is for API clients, not for people.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB = 1024 * 1024
DEFAULT_LIMIT = MIB
# The CSV import form uploads a file: thousands of employees fit well within this.
LARGER_LIMITS: Mapping[str, int] = {"/admin/employees/import": 10 * MIB}

_BODILESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class BodyLimit:
    """Plain ASGI. Reads at most ``limit`` bytes of a body, then replays them to the app, so
    a body without Content-Length (chunked) is bounded the same way as one that has it."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        refusal: bytes,
        default: int = DEFAULT_LIMIT,
        larger: Mapping[str, int] = LARGER_LIMITS,
    ) -> None:
        self.app = app
        self.refusal = refusal
        self.default = default
        self.larger = dict(larger)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in _BODILESS:
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope.get("path", ""), self.default)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away: nobody to answer
            body: bytes = message.get("body", b"")
            size += len(body)
            if size > limit:
                await self._refuse(send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(self.refusal)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.refusal})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the disconnect, when it comes

    return replayed

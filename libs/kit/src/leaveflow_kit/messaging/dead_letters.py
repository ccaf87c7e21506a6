"""Dead letters: list them, and replay one onto its original subject.

A replayed event goes to every consumer of that stream again; those that had handled it
skip it through their inbox, and the one that had failed gets another go.

    python -m leaveflow_kit.messaging.dead_letters list   [--nats URL]
    python -m leaveflow_kit.messaging.dead_letters replay SEQ [--nats URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass
from typing import Any

import nats
from nats.js.errors import NotFoundError

from leaveflow_contracts import DLQ_STREAM


@dataclass(frozen=True)
class DeadLetter:
    seq: int
    subject: str
    original_subject: str
    consumer: str
    error: str
    attempts: str
    data: bytes


async def list_dead_letters(js: Any, limit: int = 1000) -> list[DeadLetter]:
    try:
        info = await js.stream_info(DLQ_STREAM)
    except NotFoundError:
        return []
    letters: list[DeadLetter] = []
    if info.state.messages == 0:
        return letters
    seq = max(info.state.first_seq, 1)
    while seq <= info.state.last_seq and len(letters) < limit:
        try:
            msg = await js.get_msg(DLQ_STREAM, seq)
        except NotFoundError:  # deleted (replayed) letters leave gaps
            seq += 1
            continue
        headers = msg.headers or {}
        letters.append(
            DeadLetter(
                seq=seq,
                subject=msg.subject,
                original_subject=headers.get("lf-original-subject", ""),
                consumer=headers.get("lf-consumer", ""),
                error=headers.get("lf-error", ""),
                attempts=headers.get("lf-attempts", ""),
                data=msg.data or b"",
            )
        )
        seq += 1
    return letters


async def replay(js: Any, seq: int) -> str:
    """Publish dead letter `seq` to its original subject again, then delete it."""
    msg = await js.get_msg(DLQ_STREAM, seq)
    headers = msg.headers or {}
    original = headers["lf-original-subject"]
    # A fresh message id: the original id may still sit in the duplicate window.
    await js.publish(
        original,
        msg.data,
        headers={"Nats-Msg-Id": f"replay-{seq}-{headers.get('Nats-Msg-Id', '')}"},
    )
    await js.delete_msg(DLQ_STREAM, seq)
    return str(original)


async def _main(args: argparse.Namespace) -> None:
    nc = await asyncio.wait_for(nats.connect(args.nats), 10)
    try:
        js = nc.jetstream()
        if args.command == "list":
            for letter in await list_dead_letters(js):
                event = json.loads(letter.data or b"{}")
                print(
                    f"{letter.seq}\t{letter.consumer}\t{letter.original_subject}\t"
                    f"{event.get('event_id', '?')}\tattempts={letter.attempts}\t{letter.error}"
                )
        else:
            print(f"replayed to {await replay(js, args.seq)}")
    finally:
        await nc.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="dead_letters", description=__doc__)
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list")
    replay_cmd = sub.add_parser("replay")
    replay_cmd.add_argument("seq", type=int)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()

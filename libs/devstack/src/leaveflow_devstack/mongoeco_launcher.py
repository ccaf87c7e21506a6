"""Runs mongoeco's wire server (a MongoDB stand-in) until SIGTERM.

Started by the storage tests' conftest with the Python of its own venv (mongoeco needs
Python >= 3.13). Prints the server's URI on one line once it accepts connections.
Usage: python mongoeco_launcher.py [PORT]   (0, the default, picks a free port)
"""

import asyncio
import signal
import sys

from mongoeco.wire import AsyncMongoEcoProxyServer


async def main(port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = AsyncMongoEcoProxyServer(host="127.0.0.1", port=port)
    address = await server.start()
    print(address.uri, flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))

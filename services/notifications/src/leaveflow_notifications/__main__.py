"""`python -m leaveflow_notifications`: run the notifications service."""

import logging

from leaveflow_kit.runtime import serve

from .bootstrap import create_app
from .config import Settings


def main() -> None:
    settings = Settings()
    app = create_app(settings)
    # httpx logs every URL it calls at INFO; webhook URLs are secrets (whoever has one can
    # post to the channel), so only its warnings may reach the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    serve(app, settings, "notifications")


if __name__ == "__main__":
    main()

"""`python -m leaveflow_web`: run the web dashboard (default port 8000)."""

import logging

from leaveflow_kit.runtime import serve

from .bootstrap import create_app
from .config import Settings


def main() -> None:
    settings = Settings()
    # One INFO line per call to a service would drown the web's own log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    serve(create_app(settings), settings, "web")


if __name__ == "__main__":
    main()

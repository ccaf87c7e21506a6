"""`python -m leaveflow_requests`: run the requests service."""

from leaveflow_kit.runtime import serve

from .bootstrap import create_app
from .config import Settings


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings, "requests")


if __name__ == "__main__":
    main()

"""`python -m leaveflow_notifications`: run the notifications service."""

from leaveflow_kit.runtime import serve

from .bootstrap import create_app
from .config import Settings


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings, "notifications")


if __name__ == "__main__":
    main()

"""`python -m leaveflow_balances`: run the balances service."""

from leaveflow_kit.runtime import serve

from .bootstrap import create_app
from .config import Settings


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings, "balances")


if __name__ == "__main__":
    main()

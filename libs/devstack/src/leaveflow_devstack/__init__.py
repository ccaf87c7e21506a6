"""Leaveflow's local stack as processes: `make run`, `make bench` and the e2e tests."""

from .ports import APPS, DEFAULT_PORTS, PROCESSES, SERVICES, WEB, PortInUseError
from .stack import Stack, StackError

__all__ = [
    "APPS",
    "DEFAULT_PORTS",
    "PROCESSES",
    "SERVICES",
    "WEB",
    "PortInUseError",
    "Stack",
    "StackError",
]

"""Leaveflow's local stack as processes: `make run`, `make bench` and the e2e tests."""

from .ports import DEFAULT_PORTS, PROCESSES, SERVICES, PortInUseError
from .stack import Stack, StackError

__all__ = ["DEFAULT_PORTS", "PROCESSES", "SERVICES", "PortInUseError", "Stack", "StackError"]

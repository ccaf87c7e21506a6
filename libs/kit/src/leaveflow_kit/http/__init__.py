"""HTTP edge shared by the services."""

from .app import create_service_app
from .problems import (
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    Problem,
    Unauthorized,
    Unprocessable,
    problem_response,
)

__all__ = [
    "Conflict",
    "Forbidden",
    "Gone",
    "NotFound",
    "Problem",
    "Unauthorized",
    "Unprocessable",
    "create_service_app",
    "problem_response",
]

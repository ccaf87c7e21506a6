"""The request form's rule check: the policy of the picked type at the person's location
and the company's blackouts, fetched together, judged by ``request_preview.check_rules``."""

from __future__ import annotations

import asyncio
from typing import Any

from ..api import Api
from ..request_preview import Dates, RuleCheck, check_rules
from .common import attempt


async def rule_check(
    api: Api, employee: dict[str, Any], leave_type_id: str, dates: Dates, today: Any
) -> RuleCheck:
    """What the rules say about these dates. A service that does not answer checks
    nothing here: the submit is judged by the requests service anyway."""
    location_id = employee.get("location_id")
    (policies, _p), (blackouts, _b) = await asyncio.gather(
        attempt(
            api.get(
                "balances", "/v1/policies", location_id=location_id, leave_type_id=leave_type_id
            )
        ),
        attempt(api.get("requests", "/v1/blackouts")),
    )
    items = (policies or {}).get("items", []) if isinstance(policies, dict) else []
    found = (blackouts or {}).get("items", []) if isinstance(blackouts, dict) else []
    return check_rules(items[0] if items else None, found, employee, leave_type_id, dates, today)

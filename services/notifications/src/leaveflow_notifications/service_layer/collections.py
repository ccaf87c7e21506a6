"""Names of the notifications store's collections and their keys (one place)."""

from __future__ import annotations

DELIVERIES = "deliveries"
INTEGRATIONS = "integrations"
PEOPLE = "people"
DEPARTMENTS = "departments"
LEAVE_TYPES = "leave_types"
LOCATIONS = "locations"
TENANTS = "tenants"
PREFERENCES = "preferences"
USED_LINKS = "used_links"

SLACK, TEAMS, EMAIL = "slack", "teams", "email"
CHANNELS = (SLACK, TEAMS, EMAIL)


def integration_key(tenant_id: str, channel: str) -> str:
    return f"{tenant_id}:{channel}"


def preference_key(tenant_id: str, employee_id: str) -> str:
    return f"{tenant_id}:{employee_id}"

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


# The Slack app: per-person user tokens (status while away), OAuth states in flight, and
# the statuses scheduled from approved leave.
SLACK_USERS = "slack_users"
SLACK_OAUTH_STATES = "slack_oauth_states"
SLACK_STATUSES = "slack_statuses"


def slack_user_key(team_id: str, user_id: str) -> str:
    return f"{team_id}:{user_id}"


def slack_status_key(tenant_id: str, request_id: str) -> str:
    return f"{tenant_id}:{request_id}"

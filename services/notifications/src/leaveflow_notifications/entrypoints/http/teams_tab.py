"""Who a Teams SSO token is, for the dashboard's Teams tab (`authorization: Service
<secret>`, the web only): the company whose Teams integration names the token's Entra
directory, and the employee with the token's object id, mapped exactly as the bot maps the
people who write to it. Outside the OpenAPI document; listed in docs/security.md.

The web has checked the token (signature, issuer, audience, expiry) before it asks."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from leaveflow_kit.http.problems import Problem

from ...service_layer.collections import TEAMS
from ...service_layer.integrations import LOOKUP_FIELDS
from .deps import ReadModelDep, ServiceCaller
from .schemas import Id

router = APIRouter()


class TeamsPersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    aad_tenant_id: str = Id
    aad_object_id: str = Id


class TeamsPersonOut(BaseModel):
    tenant_id: str
    employee_id: str
    email: str


# Two types, so the web can say the right sentence: ask the admin to connect Teams, or to
# put the person's Teams user id on their employee profile.
class UnknownDirectory(Problem):
    status, title, type_slug = 404, "Not connected", "teams-directory-unknown"


class UnknownTeamsPerson(Problem):
    status, title, type_slug = 404, "Not known", "teams-person-unknown"


@router.post(
    "/v1/auth/teams-person", tags=["auth"], include_in_schema=False, dependencies=[ServiceCaller]
)
async def teams_person(body: TeamsPersonIn, reads: ReadModelDep) -> TeamsPersonOut:
    integration = await reads.integration_by(TEAMS, LOOKUP_FIELDS[TEAMS], body.aad_tenant_id)
    if integration is None:
        raise UnknownDirectory("no company has connected this Microsoft 365 organisation")
    tenant_id = str(integration["tenant_id"])
    person = await reads.person_by(tenant_id, "teams_user_id", body.aad_object_id)
    if person is None:
        raise UnknownTeamsPerson("no employee of the company has this Teams user id")
    return TeamsPersonOut(
        tenant_id=tenant_id, employee_id=str(person["id"]), email=str(person.get("email") or "")
    )

"""Routes only Leaveflow services call (`authorization: Service <secret>`), for sign-in:
sending account mail (sign-in links, signup confirmations, invitations) and naming a
company's chat workspaces. Outside the OpenAPI document; listed in docs/security.md."""

from __future__ import annotations

from fastapi import APIRouter

from leaveflow_kit.http.problems import Problem

from ...domain.account_mail import AccountMail
from ...service_layer.account_mail import MailNotSent, NoMailServer
from ...service_layer.collections import SLACK, TEAMS
from .deps import AccountMailDep, ReadModelDep, ServiceCaller
from .schemas import AccountMailIn, AccountMailSent, WorkspaceIn, WorkspaceOut

router = APIRouter()


class NoMailServerProblem(Problem):
    status, title, type_slug = 503, "No mail server", "no-mail-server"


class MailRefused(Problem):
    status, title, type_slug = 502, "Mail not sent", "mail-not-sent"


@router.post(
    "/v1/auth/mail",
    status_code=202,
    tags=["auth"],
    include_in_schema=False,
    dependencies=[ServiceCaller],
)
async def send_account_mail(body: AccountMailIn, mailer: AccountMailDep) -> AccountMailSent:
    """Send a sign-in link, a signup confirmation or an invitation now, through the first
    of `tenant_ids` with an email integration, else the operator's server."""
    mail = AccountMail(purpose=body.purpose, link=body.link, company=body.company)
    try:
        await mailer.send(body.to, mail, body.tenant_ids)
    except NoMailServer as exc:
        raise NoMailServerProblem(str(exc)) from exc
    except MailNotSent as exc:
        raise MailRefused(f"the mail server did not take the message ({exc})") from exc
    return AccountMailSent(sent=True)


@router.post(
    "/v1/auth/workspace", tags=["auth"], include_in_schema=False, dependencies=[ServiceCaller]
)
async def workspace(body: WorkspaceIn, reads: ReadModelDep) -> WorkspaceOut:
    """The Slack workspace and Azure AD tenant the company connected (null: none)."""
    slack = await reads.integration(body.tenant_id, SLACK) or {}
    teams = await reads.integration(body.tenant_id, TEAMS) or {}
    return WorkspaceOut(
        slack_team_id=slack.get("team_id") or None,
        teams_tenant_id=teams.get("aad_tenant_id") or None,
    )

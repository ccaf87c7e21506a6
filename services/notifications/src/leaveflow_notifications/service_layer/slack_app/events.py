"""Slack's Events API: the App Home when a person opens it, and the workspace's
uninstall and token revocations."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, Protocol

from leaveflow_kit.logging import get_logger

from ...domain.messages import level_of_block
from ..chat import Chat
from ..collections import SLACK
from ..ports import ApiUnavailable, LeaveflowApi, ReadModel
from .home import (
    OPEN_MODAL,
    STATUS_OFF,
    STATUS_ON,
    HomeReader,
    home_view,
    status_choice,
    unknown_person_view,
)
from .install import SlackInstaller
from .modal import (
    TYPE,
    LeaveKind,
    no_types_modal,
    refusal_errors,
    request_modal,
    submitted_body,
    usable,
)
from .ports import SlackRefused, SlackWebApi

log = get_logger(__name__)


class Runner(Protocol):
    """Runs work after Slack's ack (`service_layer.background.Background`)."""

    def run(self, work: Coroutine[Any, Any, None], name: str) -> None: ...


class SlackEvents:
    def __init__(
        self,
        reads: ReadModel,
        installer: SlackInstaller,
        slack: SlackWebApi,
        home: HomeReader,
        chat: Chat,
        api: LeaveflowApi,
    ) -> None:
        self._reads, self._installer, self._slack = reads, installer, slack
        self._home, self._chat, self._api = home, chat, api

    async def handle(self, integration: dict[str, Any] | None, payload: dict[str, Any]) -> None:
        """One `event_callback` (already verified): `integration` is the workspace's,
        decrypted, or None when it is not connected (any more)."""
        raw = payload.get("event")
        event: dict[str, Any] = raw if isinstance(raw, dict) else {}
        kind, team_id = event.get("type"), str(payload.get("team_id") or "")
        if kind == "app_uninstalled":
            await self._installer.uninstalled(team_id)
            log.info("slack_uninstalled", team_id=team_id)
        elif kind == "tokens_revoked":
            raw_tokens = event.get("tokens")
            tokens: dict[str, Any] = raw_tokens if isinstance(raw_tokens, dict) else {}
            await self._installer.revoked(
                team_id,
                [str(u) for u in tokens.get("oauth") or []],
                [str(b) for b in tokens.get("bot") or []],
            )
        elif kind == "app_home_opened" and event.get("tab") == "home" and integration:
            await self.publish_home(integration, str(event.get("user") or ""))

    async def publish_home(
        self, integration: dict[str, Any], user_id: str, notice: str | None = None
    ) -> None:
        """(Re)publish the person's App Home; a workspace without a bot token has none."""
        token = integration.get("bot_token")
        if not token or not user_id:
            return
        tenant_id, team_id = str(integration["tenant_id"]), str(integration.get("team_id"))
        employee = await self._reads.person_by(tenant_id, "slack_user_id", user_id)
        if employee is None:
            view = unknown_person_view(user_id)
        else:
            today = await self._chat.today(tenant_id, str(employee["id"]))
            facts = await self._home.facts(tenant_id, employee, today)
            status = await status_choice(self._installer, team_id, user_id)
            connect = (
                self._installer.install_url(tenant_id, team_id=team_id, slack_user_id=user_id)
                if self._installer.enabled
                else None
            )
            view = home_view(facts, status=status, connect_url=connect, notice=notice)
        try:
            await self._slack.publish_home(token, user_id, view)
        except SlackRefused as exc:
            log.warning("slack_home_not_published", team_id=team_id, error=exc.error)

    # --- buttons of the App Home and inputs of the modal ------------------------------

    def on_view_action(
        self, integration: dict[str, Any], payload: dict[str, Any], runner: Runner
    ) -> None:
        """A `block_actions` from the App Home or the modal: handled after the ack."""
        user_id = str((payload.get("user") or {}).get("id") or "")
        actions = payload.get("actions") or []
        if not user_id or not actions or not isinstance(actions[0], dict):
            return
        runner.run(self._view_action(integration, user_id, payload, actions[0]), "slack-view")

    async def _view_action(
        self,
        integration: dict[str, Any],
        user_id: str,
        payload: dict[str, Any],
        action: dict[str, Any],
    ) -> None:
        action_id = str(action.get("action_id") or "")
        tenant_id, team_id = str(integration["tenant_id"]), str(integration.get("team_id"))
        employee = await self._reads.person_by(tenant_id, "slack_user_id", user_id)
        if employee is None:
            await self.publish_home(integration, user_id)
            return
        if action_id == OPEN_MODAL:
            await self.open_modal(integration, employee, str(payload.get("trigger_id") or ""))
        elif action_id == TYPE:
            await self._redraw_modal(integration, employee, payload, action)
        elif action_id in ("approve", "deny"):
            level = level_of_block(str(action.get("block_id") or ""))
            try:
                _, text = await self._chat.decide(
                    tenant_id,
                    str(employee["id"]),
                    str(action.get("value")),
                    action_id,
                    SLACK,
                    level,
                )
            except ApiUnavailable:
                text = "Leaveflow is not reachable right now; please click again soon."
            await self.publish_home(integration, user_id, notice=text)
        elif action_id in (STATUS_ON, STATUS_OFF):
            await self._installer.set_status_wanted(team_id, user_id, action_id == STATUS_ON)
            await self.publish_home(integration, user_id)

    async def _kinds(self, tenant_id: str, employee_id: str) -> list[LeaveKind]:
        answer = await self._api.as_employee(
            tenant_id, employee_id, "GET", "requests", "/v1/leave-types", via=SLACK
        )
        return usable(answer.body) if answer.ok else []

    async def open_modal(
        self, integration: dict[str, Any], employee: dict[str, Any], trigger_id: str
    ) -> None:
        token = integration.get("bot_token")
        if not token or not trigger_id:
            return
        tenant_id, employee_id = str(integration["tenant_id"]), str(employee["id"])
        kinds = await self._kinds(tenant_id, employee_id)
        today = await self._chat.today(tenant_id, employee_id)
        view = request_modal(kinds, kinds[0], today) if kinds else no_types_modal()
        try:
            await self._slack.open_view(token, trigger_id, view)
        except SlackRefused as exc:
            log.warning("slack_modal_not_opened", error=exc.error)

    async def _redraw_modal(
        self,
        integration: dict[str, Any],
        employee: dict[str, Any],
        payload: dict[str, Any],
        action: dict[str, Any],
    ) -> None:
        view = payload.get("view") or {}
        token, chosen_id = integration.get("bot_token"), (action.get("selected_option") or {})
        tenant_id, employee_id = str(integration["tenant_id"]), str(employee["id"])
        kinds = await self._kinds(tenant_id, employee_id)
        chosen = next((k for k in kinds if k.id == chosen_id.get("value")), None)
        if not token or chosen is None or not view.get("id"):
            return
        today = await self._chat.today(tenant_id, employee_id)
        try:
            await self._slack.update_view(
                token, str(view["id"]), request_modal(kinds, chosen, today)
            )
        except SlackRefused as exc:
            log.warning("slack_modal_not_updated", error=exc.error)

    async def submit(
        self, integration: dict[str, Any], payload: dict[str, Any], runner: Runner
    ) -> dict[str, Any] | None:
        """The modal's `view_submission`: None closes it (the request went in), else
        Slack's `response_action: errors` with a sentence on each input concerned."""
        view = payload.get("view") or {}
        user_id = str((payload.get("user") or {}).get("id") or "")
        tenant_id = str(integration["tenant_id"])
        employee = await self._reads.person_by(tenant_id, "slack_user_id", user_id)
        if employee is None:
            return _errors({TYPE: "Leaveflow does not know you yet: ask your admin."})
        body, errors = submitted_body(view)
        if errors:
            return _errors(errors)
        blocks = set(((view.get("state") or {}).get("values") or {}).keys())
        try:
            answer = await self._api.as_employee(
                tenant_id,
                str(employee["id"]),
                "POST",
                "requests",
                "/v1/leave-requests",
                json=body,
                via=SLACK,
            )
        except ApiUnavailable:
            return _errors({TYPE: "Leaveflow is not reachable right now; try again in a minute."})
        if not answer.ok:
            return _errors(refusal_errors(answer, blocks))
        amount = answer.body.get("amount") if isinstance(answer.body, dict) else None
        span = body["start_date"] + (
            "" if body["end_date"] == body["start_date"] else f" to {body['end_date']}"
        )
        notice = (
            f"Requested leave {span}"
            + (f" ({amount:g})" if isinstance(amount, int | float) else "")
            + ". You will hear here when it is decided."
        )
        runner.run(self.publish_home(integration, user_id, notice=notice), "slack-home")
        return None


def _errors(errors: dict[str, str]) -> dict[str, Any]:
    return {"response_action": "errors", "errors": errors}

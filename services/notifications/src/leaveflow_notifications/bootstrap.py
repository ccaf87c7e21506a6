"""Composition root of the notifications service: settings -> runtime -> FastAPI app.

The only place that knows both sides of every port: the HTTP client of the other
services, the secret box, the channel templates and senders, the store's read side, the
clock, the event handlers and the HTTP routers.

Building the app does no I/O: the secret key file is read (or created) in the lifespan,
with the store, the broker, the dispatchers and the digest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from leaveflow_kit.auth import TokenVerifier
from leaveflow_kit.clock import Clock
from leaveflow_kit.outbound import AddressPolicy
from leaveflow_kit.runtime import build_runtime
from leaveflow_kit.storage import IndexSpec, Store

from .adapters.leaveflow_api import LeaveflowHttpApi
from .adapters.rendering import ChannelTemplates
from .adapters.resolver import SystemResolver
from .adapters.secrets import DeferredBox, load_or_create_key
from .adapters.senders import EmailSender, HttpPoster, SlackSender, TeamsSender
from .adapters.slack_app.web_api import SlackSdkWebApi
from .adapters.store_deliveries import StoreDeliveries
from .adapters.store_reads import StoreReads
from .adapters.teams_bot.sdk import TeamsBotHost, TeamsBotSettings
from .adapters.teams_bot.sender import BotCards, BotOrWebhookSender
from .config import Settings
from .entrypoints.http import (
    actions,
    auth,
    bot_messages,
    routes,
    slack,
    slack_events,
    slack_install,
    teams,
    teams_tab,
)
from .service_layer.account_mail import AccountMailer
from .service_layer.background import Background
from .service_layer.chat import Chat
from .service_layer.collections import (
    DELIVERIES,
    DEPARTMENTS,
    EMAIL,
    INTEGRATIONS,
    LEAVE_TYPES,
    LOCATIONS,
    PEOPLE,
    SLACK,
    SLACK_STATUSES,
    SLACK_USERS,
    TEAMS,
    TENANTS,
)
from .service_layer.deliveries import DeliveryRetries
from .service_layer.destinations import Destinations
from .service_layer.digest import DigestScheduler
from .service_layer.dispatcher import DeliveryDispatcher, Dispatchers, RetryPolicy
from .service_layer.fairness import Breakers, FairnessPolicy, Slots
from .service_layer.fanout import requests_handlers
from .service_layer.integrations import Integrations
from .service_layer.invites import invite_handlers
from .service_layer.links import LinkActions
from .service_layer.outbound import Links, Outbound
from .service_layer.ports import DeliveryRecords, LeaveflowApi, ReadModel, SecretBox
from .service_layer.replica import DIRECTORY
from .service_layer.slack_app.events import SlackEvents
from .service_layer.slack_app.home import HomeReader
from .service_layer.slack_app.install import SlackInstaller
from .service_layer.slack_app.ports import SlackWebApi
from .service_layer.slack_app.status import SlackStatuses, status_handlers
from .service_layer.standing import ReplicaStanding
from .service_layer.teams_bot import TeamsBot
from .service_layer.teams_conversations import TEAMS_CONVERSATIONS
from .service_layer.toil_notices import toil_handlers

INDEXES = (
    IndexSpec(DELIVERIES, ("channel", "status")),
    IndexSpec(DELIVERIES, ("tenant_id",)),
    # A request's later events find the messages sent about it (to update them).
    IndexSpec(DELIVERIES, ("tenant_id", "request_id")),
    IndexSpec(INTEGRATIONS, ("kind",)),
    IndexSpec(TEAMS_CONVERSATIONS, ("tenant_id",)),
    IndexSpec(PEOPLE, ("tenant_id", "slack_user_id")),
    IndexSpec(PEOPLE, ("tenant_id", "teams_user_id")),
    IndexSpec(PEOPLE, ("tenant_id", "role")),
    # The Slack app forgets a workspace's user tokens when it is uninstalled.
    IndexSpec(SLACK_USERS, ("team_id",)),
    # Each replica's status round reads the statuses still to show or clear.
    IndexSpec(SLACK_STATUSES, ("active",)),
    # The replica helper's reads name the tenant.
    *(IndexSpec(c, ("tenant_id",)) for c in (TENANTS, LOCATIONS, PEOPLE, DEPARTMENTS, LEAVE_TYPES)),
)


def operator_smtp(settings: Settings) -> dict[str, Any] | None:
    """The operator's mail server (LEAVEFLOW_SMTP_*) in the shape of an email integration,
    or None when the installation has none."""
    if not settings.smtp_host:
        return None
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return {
        "smtp_host": settings.smtp_host,
        "smtp_port": settings.smtp_port,
        "from": settings.smtp_from,
        "username": settings.smtp_username or None,
        "password": password or None,
        "starttls": settings.smtp_starttls,
        "ssl": settings.smtp_ssl,
    }


def teams_bot_host(settings: Settings, bot: TeamsBot) -> TeamsBotHost | None:
    """The Teams bot when an Azure Bot is configured (TEAMS_APP_ID and its password)."""
    if not settings.teams_app_id or not settings.teams_app_password:
        return None
    return TeamsBotHost(
        TeamsBotSettings(
            app_id=settings.teams_app_id,
            app_password=settings.teams_app_password.get_secret_value(),
            openid_metadata_url=settings.teams_openid_metadata_url,
            token_url=settings.teams_token_url,
            token_issuer=settings.teams_token_issuer,
        ),
        bot,
    )


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    verifier: TokenVerifier | None = None,
) -> FastAPI:
    """`store`, `clock` and `verifier` replace the real ones (tests pass fakes in)."""
    settings = settings or Settings()
    runtime = build_runtime(
        "notifications", settings, indexes=INDEXES, store=store, clock=clock, verifier=verifier
    )
    clock = runtime.clock
    configured = settings.secret_key.get_secret_value().encode() if settings.secret_key else None
    box = DeferredBox(configured)
    secrets: SecretBox = box
    destinations = Destinations(
        AddressPolicy.from_setting(settings.outbound_allow), SystemResolver()
    )
    poster = HttpPoster(destinations)
    service_secret = settings.service_secret.get_secret_value() if settings.service_secret else None
    http_api = LeaveflowHttpApi(
        {
            "requests": settings.requests_url,
            "balances": settings.balances_url,
            "calendar": settings.calendar_url,
        },
        service_secret,
    )
    # Typed as the ports, so the type checker proves the adapters implement them.
    api: LeaveflowApi = http_api
    reads: ReadModel = StoreReads(runtime.store)
    # The replica lives in the runtime's store, so the lookup joins the runtime once it
    # exists (what `build_runtime(standing=...)` would set).
    runtime.standing = ReplicaStanding(reads, clock)
    records: DeliveryRecords = StoreDeliveries(runtime.store)
    chat = Chat(api, reads, clock)
    integrations = Integrations(runtime.store, reads, secrets)
    teams_bot = teams_bot_host(settings, TeamsBot(runtime.store, reads, integrations, api, chat))
    ttl = int(settings.action_link_hours * 3600)
    templates = ChannelTemplates(settings.dashboard_url)
    company_email = EmailSender(destinations)
    account_mail = AccountMailer(
        reads,
        secrets,
        templates,
        company_sender=company_email,
        # The operator's own server: trusted configuration, not a tenant's destination.
        operator_sender=EmailSender(None),
        operator=operator_smtp(settings),
        timeout_seconds=settings.send_timeout_seconds,
    )
    outbound = Outbound(
        reads,
        secrets,
        {
            SLACK: SlackSender(poster, settings.slack_api_url),
            TEAMS: BotOrWebhookSender(TeamsSender(poster), teams_bot),
            EMAIL: company_email,
        },
        Links(secrets, settings.dashboard_url.rstrip("/")),
        BotCards(templates),
        account=account_mail,
    )
    policy = RetryPolicy(
        max_attempts=settings.max_attempts,
        max_backoff_seconds=settings.max_backoff_seconds,
        send_timeout_seconds=settings.send_timeout_seconds,
    )
    # Shared by the channels: a tenant's sends in flight count across all of them.
    fairness = FairnessPolicy(
        cooldown_seconds=min(settings.breaker_cooldown_seconds, settings.max_backoff_seconds)
    )
    slots, breakers = Slots(fairness), Breakers(fairness)
    dispatchers = Dispatchers(
        [
            DeliveryDispatcher(
                records,
                channel,
                outbound.send,
                clock,
                policy=policy,
                slots=slots,
                breakers=breakers,
            )
            for channel in (SLACK, TEAMS, EMAIL)
        ]
    )
    every = settings.digest_interval_seconds
    digest = DigestScheduler(runtime.store, api, clock, dispatchers.wake, interval_seconds=every)
    background = Background()
    slack_client_secret = (
        settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else None
    )
    slack_api: SlackWebApi = SlackSdkWebApi(
        settings.slack_api_url, settings.slack_client_id, slack_client_secret
    )
    slack_installer = SlackInstaller(
        runtime.store,
        reads,
        secrets,
        integrations,
        slack_api,
        clock,
        client_id=settings.slack_client_id,
        base_url=settings.base_url,
        dashboard_url=settings.dashboard_url,
        authorize_url=settings.slack_authorize_url,
    )
    slack_statuses = SlackStatuses(
        runtime.store,
        reads,
        slack_installer,
        slack_api,
        clock,
        interval_seconds=settings.slack_status_interval_seconds,
    )
    slack_app_events = SlackEvents(
        reads, slack_installer, slack_api, HomeReader(api, reads), chat, api
    )
    handlers = (
        requests_handlers(clock)
        .include(toil_handlers(clock), invite_handlers(clock, settings.dashboard_url))
        # The Slack status while away reacts to the leave events the fan-out handles.
        .also(status_handlers())
    )
    runtime.subscribe(handlers, after_commit=dispatchers.wake)
    runtime.rebuild_on_start(DIRECTORY)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not box.ready:
            box.open(load_or_create_key(settings.secret_key_path))
        async with runtime.lifespan(app):
            if teams_bot is not None:
                await teams_bot.start()
            dispatchers.start()
            digest.start()
            slack_statuses.start()
            try:
                yield
            finally:
                await slack_statuses.stop()
                await digest.stop()
                await dispatchers.stop()
                await background.drain()
                await poster.close()
                await http_api.close()

    return runtime.app(
        title="Leaveflow notifications",
        routers=[
            routes.router,
            slack.router,
            slack_events.router,
            slack_install.router,
            teams.router,
            actions.router,
            auth.router,
            teams_tab.router,
            *([bot_messages.router] if teams_bot is not None else []),
        ],
        lifespan=lifespan,
        dispatchers=dispatchers,
        secret_box=secrets,
        read_model=reads,
        integrations=integrations,
        teams_bot=teams_bot,
        destinations=destinations,
        retries=DeliveryRetries(records, clock, dispatchers.wake),
        chat=chat,
        poster=poster,
        background=background,
        links=LinkActions(runtime.store, secrets, api, ttl, clock),
        dashboard_url=settings.dashboard_url,
        outbound=outbound,
        digest=digest,
        account_mail=account_mail,
        slack_installer=slack_installer,
        slack_events=slack_app_events,
        slack_api=slack_api,
        slack_statuses=slack_statuses,
        slack_signing_secret=(
            settings.slack_signing_secret.get_secret_value()
            if settings.slack_signing_secret
            else None
        ),
        # Checked by the routes only Leaveflow services call (`deps.ServiceCaller`).
        service_secret=service_secret,
    )

"""Per-tenant integrations: credentials encrypted at rest, never returned, never logged."""

from __future__ import annotations

from typing import Any

from leaveflow_kit.storage import Store, Transaction

from .collections import CHANNELS, INTEGRATIONS, PREFERENCES, integration_key, preference_key
from .ports import ReadModel, SecretBox, Undecryptable

# Everything that would let someone post as us or impersonate Slack/Teams to us.
SECRET_FIELDS = frozenset(
    {"bot_token", "webhook_url", "signing_secret", "outgoing_webhook_secret", "password"}
)
# Not secrets we need sealed, but an admin reading the integration back (or anyone who
# steals their session) has no business seeing them: shown only as `has_<name>`.
HIDDEN_FIELDS = frozenset({"username"})
# Looked up on inbound requests, so kept in clear (they are identifiers, not secrets).
LOOKUP_FIELDS = {"slack": "team_id", "teams": "aad_tenant_id"}


def encrypted(box: SecretBox, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (box.encrypt(v) if k in SECRET_FIELDS and v is not None else v)
        for k, v in fields.items()
    }


class UndecryptableSecrets(Exception):
    """Stored with another key (NOTIFICATIONS_SECRET_KEY changed): reconnect the integration."""


def decrypted(box: SecretBox, doc: dict[str, Any]) -> dict[str, Any]:
    try:
        return _decrypted(box, doc)
    except Undecryptable as exc:
        raise UndecryptableSecrets(f"{doc.get('kind')} secrets cannot be decrypted") from exc


def _decrypted(box: SecretBox, doc: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (box.decrypt(v) if k in SECRET_FIELDS and isinstance(v, str) else v)
        for k, v in doc.items()
    }


def public_view(doc: dict[str, Any]) -> dict[str, Any]:
    """What an admin may see back: plain settings, and for each secret whether it is set."""
    hidden = SECRET_FIELDS | HIDDEN_FIELDS
    out = {k: v for k, v in doc.items() if k not in hidden and k != "kind"}
    for k in hidden:
        if k in doc:
            out[f"has_{k}"] = bool(doc[k])
    return out


# What "Add to Slack" stored (service_layer/slack_app/install.py): not fields of the
# admin's form, so saving the form (channel, webhook) must not drop them.
INSTALL_FIELDS = ("team_id", "bot_token", "bot_user_id", "app_id", "installed_by")


def kept_install(
    channel: str, before: dict[str, Any] | None, doc: dict[str, Any]
) -> dict[str, Any]:
    """The app install's fields of `before` that `doc` (a save of the form) leaves out:
    a workspace installed through OAuth stays installed until an admin names another
    workspace or gives a bot token of their own."""
    if channel != "slack" or not before or not before.get("app_id"):
        return {}
    if doc.get("bot_token") or doc.get("team_id") not in (None, before.get("team_id")):
        return {}
    return {k: before[k] for k in INSTALL_FIELDS if k in before and doc.get(k) is None}


class IntegrationConflict(Exception):
    """The Slack workspace / Azure AD tenant is connected to another tenant (HTTP 409)."""


class Integrations:
    """Connecting channels, and the integration an inbound request belongs to."""

    def __init__(self, store: Store, reads: ReadModel, box: SecretBox) -> None:
        self._store = store
        self._reads = reads
        self._box = box

    async def connect(self, tenant_id: str, channel: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Store (replace) the tenant's integration; what an admin may see of it."""
        doc = {"tenant_id": tenant_id, "kind": channel, **encrypted(self._box, fields)}
        lookup = LOOKUP_FIELDS.get(channel)

        async def run(tx: Transaction) -> None:
            before = await tx.get(INTEGRATIONS, integration_key(tenant_id, channel))
            doc.update(kept_install(channel, before, doc))
            if lookup and doc.get(lookup):
                # One tenant per Slack workspace / Azure AD tenant: inbound requests are
                # routed by it.
                where = {"kind": channel, lookup: doc[lookup]}
                others = await tx.find(INTEGRATIONS, where, limit=5)
                if any(o["tenant_id"] != tenant_id for o in others):
                    raise IntegrationConflict(f"{lookup} is already connected to another tenant")
            await tx.put(INTEGRATIONS, integration_key(tenant_id, channel), doc)

        await self._store.atomic(run)
        return public_view(doc)

    async def listing(self, tenant_id: str) -> dict[str, dict[str, Any] | None]:
        """Each channel's integration as an admin may see it (None: not connected)."""
        out: dict[str, dict[str, Any] | None] = {}
        for channel in CHANNELS:
            doc = await self._reads.integration(tenant_id, channel)
            out[channel] = public_view(doc) if doc else None
        return out

    async def inbound(self, channel: str, lookup_value: str) -> dict[str, Any] | None:
        """The decrypted integration whose team id / AAD tenant id is `lookup_value`."""
        doc = await self._reads.integration_by(channel, LOOKUP_FIELDS[channel], lookup_value)
        if doc is None:
            return None
        try:
            return decrypted(self._box, doc)
        except UndecryptableSecrets:
            return None  # cannot verify anything with it: treated as not connected

    async def preferences(self, tenant_id: str, employee_id: str) -> dict[str, Any]:
        """The employee's channels (each on until they turn it off) and the channels the
        company has set up, so a person sees only choices that reach them."""
        chosen = await self._reads.preferences(tenant_id, employee_id) or {}
        available = [c for c in CHANNELS if await self._reads.integration(tenant_id, c)]
        return {
            **settings_of({"tenant_id": tenant_id, "employee_id": employee_id, **chosen}),
            "available": available,
        }

    async def set_preferences(
        self, tenant_id: str, employee_id: str, prefs: dict[str, Any]
    ) -> dict[str, Any]:
        """Store the channels given; `level_updates` and `language` only when given (else
        they stay as stored). The preferences as stored."""

        async def run(tx: Transaction) -> dict[str, Any]:
            key = preference_key(tenant_id, employee_id)
            before = await tx.get(PREFERENCES, key) or {}
            kept = {k: before[k] for k in SETTINGS if k in before}
            doc = {"tenant_id": tenant_id, "employee_id": employee_id, **kept, **prefs}
            await tx.put(PREFERENCES, key, doc)
            return doc

        return settings_of(await self._store.atomic(run))


# Preferences beside the channels: approval level updates (off unless chosen) and the
# dashboard's language (None: follow the browser).
SETTINGS = {"level_updates": False, "language": None}


def settings_of(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored preferences document as read: each channel on until turned off, the
    other settings at their default until set."""
    return {
        "tenant_id": doc["tenant_id"],
        "employee_id": doc["employee_id"],
        **{channel: doc.get(channel) is not False for channel in CHANNELS},
        **{k: doc.get(k, default) for k, default in SETTINGS.items()},
    }

"""Reads scoped to a tenant: "does this record belong to the caller's tenant" in one place.

Ids arrive from URLs and events; a record of another tenant must read exactly as a missing
one (404, not 403), so that ids cannot be probed across tenants.
"""

from __future__ import annotations

from typing import Protocol

from .port import Doc


class Reader(Protocol):
    """What `tenant_get` reads from: a `Store` or a `Transaction`."""

    async def get(self, collection: str, key: str) -> Doc | None: ...


def belongs_to(doc: Doc | None, tenant_id: str, *, field: str = "tenant_id") -> Doc | None:
    """`doc` when it is the tenant's (its `field` equals `tenant_id`), else None."""
    if doc is None or not tenant_id or doc.get(field) != tenant_id:
        return None
    return doc


async def tenant_get(
    reader: Reader, collection: str, tenant_id: str, key: str, *, field: str = "tenant_id"
) -> Doc | None:
    """The document at `key` if it belongs to `tenant_id`; None when absent, another
    tenant's, or the key is empty (an empty id never addresses anything)."""
    if not key or not tenant_id:
        return None
    return belongs_to(await reader.get(collection, key), tenant_id, field=field)

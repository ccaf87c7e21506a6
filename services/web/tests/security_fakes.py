"""For the Security page's in-process tests: a software authenticator and a fake requests
service holding sessions, passkeys and invites as the SPEC (issue 14) describes them.

The authenticator makes real WebAuthn answers (P-256 keys, a "none" attestation, signed
assertions with a counter), so the web's checks run on what a browser would send; a copy of
it keeps its counter where it was, as a cloned passkey would.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.encode_cbor import encode_cbor

SERVICE_SECRET = "test-service-secret"


def b64url(data: bytes) -> str:
    return bytes_to_base64url(data)


@dataclass
class Authenticator:
    """One discoverable credential on a software authenticator."""

    rp_id: str
    origin: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    sign_count: int = 0
    user_handle: bytes = b""

    def clone(self) -> Authenticator:
        """The same key and id, and the counter as it is now (it will not see later uses)."""
        return copy.copy(self)

    def _auth_data(self, flags: int, attested: bytes = b"") -> bytes:
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + self.sign_count.to_bytes(4, "big") + attested

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        ).encode()

    def create(self, options: dict[str, Any], origin: str | None = None) -> dict[str, Any]:
        """What ``navigator.credentials.create`` resolves to, as JSON."""
        assert options["rp"]["id"] == self.rp_id
        self.user_handle = base64url_to_bytes(options["user"]["id"])
        numbers = self.key.public_key().public_numbers()
        cose = {
            1: 2,  # kty: EC2
            3: -7,  # alg: ES256
            -1: 1,  # crv: P-256
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
        attested = (
            bytes(16)  # aaguid
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + encode_cbor(cose)
        )
        auth_data = self._auth_data(0x45, attested)  # user present + verified + attested data
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def get(self, options: dict[str, Any], origin: str | None = None) -> dict[str, Any]:
        """What ``navigator.credentials.get`` resolves to, as JSON (the counter moves on)."""
        assert options["rpId"] == self.rp_id
        self.sign_count += 1
        auth_data = self._auth_data(0x05)  # user present + verified
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle),
            },
            "clientExtensionResults": {},
        }


def bearer(employee_id: str, role: str = "user", tenant_id: str = "t1", sid: str = "") -> str:
    claims = {"sub": employee_id, "tid": tenant_id, "role": role, "sid": sid}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"h.{payload}.s"


def claims(request: httpx.Request) -> dict[str, Any] | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme != "Bearer" or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


def problem(status: int, title: str, detail: str = "") -> httpx.Response:
    return httpx.Response(status, json={"title": title, "status": status, "detail": detail})


@dataclass
class Person:
    employee_id: str
    email: str
    name: str
    role: str = "user"
    status: str = "active"


@dataclass
class IdentityFake:
    """The requests service's identity routes and the few directory reads the pages make.

    Like the real one it answers only the caller's own sessions and passkeys (404 for
    anyone else's), needs ``Service <secret>`` on the /v1/auth routes, and uses the
    passkey counter as a compare-and-set.
    """

    people: dict[str, Person] = field(
        default_factory=lambda: {
            p.employee_id: p
            for p in (
                Person("ada", "ada@acme.test", "Ada Admin", "admin"),
                Person("eve", "eve@acme.test", "Eve Example"),
                Person("sid", "sid@acme.test", "Sid Sales"),
            )
        }
    )
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    passkeys: dict[str, dict[str, Any]] = field(default_factory=dict)
    invites: dict[str, dict[str, Any]] = field(default_factory=dict)
    invite_calls: list[list[str]] = field(default_factory=list)
    # A concurrent sign-in moves the stored counter between find and used (409).
    race_on_used: bool = False
    calls: list[httpx.Request] = field(default_factory=list)

    def open(self, employee_id: str, via: str = "magic_link", label: str = "") -> str:
        sid = f"s{len(self.sessions) + 1}"
        self.sessions[sid] = {
            "id": sid,
            "employee_id": employee_id,
            "via": via,
            "label": label,
            "created_at": "2026-01-02T09:30:00Z",
            "last_used_at": "2026-01-02T10:00:00Z",
        }
        return sid

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        path = request.url.path
        if path.startswith("/v1/auth/"):
            if request.headers.get("authorization") != f"Service {SERVICE_SECRET}":
                return problem(401, "Unauthorized")
            return self._service(path.removeprefix("/v1/auth/"), json.loads(request.content))
        who = claims(request)
        if who is None:
            return problem(401, "Unauthorized")
        session = self.sessions.get(str(who.get("sid")))
        if who.get("sid") and session is None:
            return problem(401, "Unauthorized", "the session was revoked")
        return self._bearer(request, path, str(who["sub"]), str(who.get("sid") or ""))

    # --- bearer routes --------------------------------------------------------------------
    def _bearer(self, request: httpx.Request, path: str, me: str, sid: str) -> httpx.Response:
        method = request.method
        if path == "/v1/sessions" and method == "GET":
            mine = [
                {k: v for k, v in s.items() if k != "employee_id"} | {"current": s["id"] == sid}
                for s in self.sessions.values()
                if s["employee_id"] == me
            ]
            return httpx.Response(200, json={"items": mine})
        if path == "/v1/sessions/revoke-all" and method == "POST":
            gone = [k for k, s in self.sessions.items() if s["employee_id"] == me]
            for sid_gone in gone:
                del self.sessions[sid_gone]
            return httpx.Response(200, json={"revoked": len(gone)})
        if path.startswith("/v1/sessions/") and method == "DELETE":
            found = self.sessions.get(path.removeprefix("/v1/sessions/"))
            if found is None or found["employee_id"] != me:
                return problem(404, "Not Found", "no such session")
            del self.sessions[found["id"]]
            return httpx.Response(204)
        if path == "/v1/passkeys" and method == "GET":
            mine = [
                {k: p[k] for k in ("id", "name", "created_at", "last_used_at")}
                for p in self.passkeys.values()
                if p["employee_id"] == me
            ]
            return httpx.Response(200, json={"items": mine})
        if path.startswith("/v1/passkeys/") and method == "DELETE":
            key = self.passkeys.get(path.removeprefix("/v1/passkeys/"))
            if key is None or key["employee_id"] != me:
                return problem(404, "Not Found", "no such passkey")
            del self.passkeys[key["id"]]
            return httpx.Response(204)
        if path == "/v1/employees" and method == "GET":
            listed = [
                {"id": p.employee_id, "email": p.email, "name": p.name, "role": p.role}
                for p in self.people.values()
            ]
            return httpx.Response(200, json={"items": listed, "next_cursor": None})
        if path.startswith("/v1/employees/") and method == "GET":
            person = self.people.get(path.removeprefix("/v1/employees/"))
            if person is None:
                return problem(404, "Not Found")
            return httpx.Response(
                200, json={"id": person.employee_id, "email": person.email, "role": person.role}
            )
        if path == "/v1/employees/import" and method == "POST":
            return self._import(request.content.decode())
        if path == "/v1/invites":
            if self.people[me].role != "admin":
                return problem(403, "Forbidden", "admins only")
            if method == "GET":
                return httpx.Response(200, json={"items": list(self.invites.values())})
            return self._invite(me, json.loads(request.content)["employee_ids"])
        return httpx.Response(200, json={"items": []})

    def _import(self, text: str) -> httpx.Response:
        created = 0
        for line in text.strip().splitlines()[1:]:
            name, email = line.split(",")[:2]
            email = email.lower()  # as the directory keeps it
            employee_id = email.split("@")[0]
            created += employee_id not in self.people
            self.people[employee_id] = Person(employee_id, email, name)
        return httpx.Response(200, json={"created": created, "updated": 0, "errors": []})

    def _invite(self, me: str, employee_ids: list[str]) -> httpx.Response:
        self.invite_calls.append(list(employee_ids))
        invited, skipped = [], []
        for employee_id in employee_ids:
            person = self.people.get(employee_id)
            if person is None or person.status != "active":
                reason = "unknown" if person is None else "left"
                skipped.append({"employee_id": employee_id, "reason": reason})
                continue
            invited.append(employee_id)
            self.invites[employee_id] = {
                "employee_id": employee_id,
                "invited_at": "2026-01-03T08:00:00Z",
                "invited_by": me,
            }
        return httpx.Response(202, json={"invited": invited, "skipped": skipped})

    # --- service-only routes --------------------------------------------------------------
    def _service(self, route: str, body: dict[str, Any]) -> httpx.Response:
        if route == "passkeys":
            if any(p["credential_id"] == body["credential_id"] for p in self.passkeys.values()):
                return problem(409, "Conflict", "credential exists")
            key_id = f"pk{len(self.passkeys) + 1}"
            self.passkeys[key_id] = {
                **body,
                "id": key_id,
                "created_at": "2026-01-02T11:00:00Z",
                "last_used_at": None,
            }
            return httpx.Response(201, json={"id": key_id, "name": body["name"]})
        if route == "passkeys/find":
            for key in self.passkeys.values():
                if key["credential_id"] == body["credential_id"]:
                    fields = ("id", "tenant_id", "employee_id", "public_key", "sign_count")
                    email = self.people[key["employee_id"]].email
                    return httpx.Response(200, json={k: key[k] for k in fields} | {"email": email})
            return problem(404, "Not Found", "no such passkey")
        if route.startswith("passkeys/") and route.endswith("/used"):
            key = self.passkeys[route.split("/")[1]]
            if self.race_on_used:
                key["sign_count"] += 1
            if key["sign_count"] != body["expected_sign_count"]:
                return problem(409, "Conflict", "the counter moved")
            key["sign_count"] = body["sign_count"]
            key["last_used_at"] = "2026-01-04T07:00:00Z"
            return httpx.Response(200, json={})
        if route == "sessions":
            person = self.people.get(body["employee_id"])
            if person is None or person.status != "active":
                return problem(404, "Not Found", "no such employee")
            sid = self.open(person.employee_id, body["via"], body.get("label", ""))
            token = bearer(person.employee_id, person.role, body["tenant_id"], sid)
            return httpx.Response(
                201,
                json={
                    "session_id": sid,
                    "refresh_token": f"r-{sid}",
                    "token": token,
                    "expires_in": 300,
                    "employee_id": person.employee_id,
                    "role": person.role,
                },
            )
        if route == "sessions/refresh":
            found = self.sessions.get(body["session_id"])
            if found is None or body["refresh_token"] != f"r-{found['id']}":
                return problem(401, "Unauthorized", "session ended")
            person = self.people[found["employee_id"]]
            token = bearer(person.employee_id, person.role, "t1", found["id"])
            return httpx.Response(
                200,
                json={
                    "token": token,
                    "expires_in": 300,
                    "employee_id": person.employee_id,
                    "role": person.role,
                },
            )
        return problem(404, "Not Found")

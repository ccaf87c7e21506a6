"""A local Bot Connector for tests: what a Teams bot meets on the Microsoft side, on loopback.

- the Bot Framework OpenID metadata document and its JWKS, signed with a key of ours, so
  the bot validates inbound tokens exactly as in production (only the metadata URL moves);
- the token service a bot asks for its outbound token (`client_credentials`), which
  refuses a wrong app password;
- the conversations endpoint the bot posts to (`serviceUrl`), which refuses a call
  without a token from the token service and records every activity it receives;
- an Entra ID-shaped issuer (`/{tenant}/v2.0`, its metadata and keys) for Teams SSO tokens.

`mint_channel_token` / `mint_entra_token` sign what Teams would send; a `forged` key of
another pair, past `exp`, another audience or another `serviceurl` make the tokens the bot
must refuse.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CHANNEL_ISSUER = "https://api.botframework.com"
# What a bot's outbound token is for (the Bot Connector's own audience).
CONNECTOR_AUDIENCE = "https://api.botframework.com"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256", "endorsements": ["msteams"]}


@dataclass
class Recorded:
    """One call the bot made to the conversations endpoint: `activity_id` is the one the
    connector gave a new activity (POST), or the one rewritten (PUT)."""

    method: str
    conversation_id: str
    activity_id: str
    activity: dict[str, Any]


@dataclass
class BotConnector:
    app_id: str
    app_password: str
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = field(default_factory=lambda: uuid.uuid4().hex)
    recorded: list[Recorded] = field(default_factory=list)
    issued: set[str] = field(default_factory=set)
    _served: LoopbackServer | None = None
    _port: int = 0

    # --- where the bot is pointed -------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def openid_metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/botframework.com/oauth2/v2.0/token"

    @property
    def service_url(self) -> str:
        """The `serviceUrl` activities carry: where the bot answers."""
        return f"{self.base_url}/teams/"

    def entra_issuer(self, tenant_id: str) -> str:
        return f"{self.base_url}/{tenant_id}/v2.0"

    @property
    def entra_login_endpoint(self) -> str:
        return self.base_url

    # --- tokens Teams would send ----------------------------------------------------------

    def mint_channel_token(
        self,
        *,
        service_url: str | None = None,
        audience: str | None = None,
        expires_in: int = 3600,
        key: rsa.RSAPrivateKey | None = None,
        issuer: str = CHANNEL_ISSUER,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience or self.app_id,
            "serviceurl": service_url or self.service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + expires_in,
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def mint_entra_token(
        self,
        *,
        tenant_id: str,
        object_id: str,
        audience: str,
        expires_in: int = 3600,
        key: rsa.RSAPrivateKey | None = None,
        issuer: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """An Entra ID v2 access token as Teams SSO hands a tab (`getAuthToken`)."""
        now = int(time.time())
        claims = {
            "iss": issuer or self.entra_issuer(tenant_id),
            "aud": audience,
            "tid": tenant_id,
            "oid": object_id,
            "scp": "access_as_user",
            "ver": "2.0",
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + expires_in,
            **(extra or {}),
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    # --- what the bot sent ------------------------------------------------------------------

    def sent_to(self, conversation_id: str) -> list[dict[str, Any]]:
        return [r.activity for r in self.recorded if r.conversation_id == conversation_id]

    # --- the HTTP side ----------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        async def metadata(request: Request) -> Response:
            return JSONResponse(
                {
                    "issuer": CHANNEL_ISSUER,
                    "authorization_endpoint": f"{self.base_url}/v1/authorize",
                    "jwks_uri": f"{self.base_url}/v1/.well-known/keys",
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                }
            )

        async def keys(request: Request) -> Response:
            return JSONResponse({"keys": [_jwk(self.key, self.kid)]})

        async def entra_metadata(request: Request) -> Response:
            tenant = request.path_params["tenant"]
            return JSONResponse(
                {
                    "issuer": self.entra_issuer(tenant),
                    "jwks_uri": f"{self.base_url}/{tenant}/discovery/v2.0/keys",
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            )

        async def token(request: Request) -> Response:
            form = await request.form()
            if (
                form.get("grant_type") != "client_credentials"
                or form.get("client_id") != self.app_id
                or form.get("client_secret") != self.app_password
            ):
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            now = int(time.time())
            access = jwt.encode(
                {
                    "iss": f"{self.base_url}/botframework.com/",
                    "aud": CONNECTOR_AUDIENCE,
                    "appid": self.app_id,
                    "iat": now,
                    "exp": now + 3600,
                },
                self.key,
                algorithm="RS256",
                headers={"kid": self.kid},
            )
            self.issued.add(access)
            return JSONResponse(
                {"token_type": "Bearer", "expires_in": 3600, "access_token": access}
            )

        async def activities(request: Request) -> Response:
            given = request.headers.get("authorization", "").removeprefix("Bearer ")
            if given not in self.issued:
                return JSONResponse({"error": {"code": "Unauthorized"}}, status_code=401)
            body = await request.json()
            activity_id = request.path_params.get("activity_id") or uuid.uuid4().hex
            conversation_id = request.path_params["conversation_id"]
            self.recorded.append(Recorded(request.method, conversation_id, activity_id, body))
            return JSONResponse({"id": activity_id})

        conversations = "/teams/v3/conversations/{conversation_id:path}/activities"
        return [
            Route("/v1/.well-known/openidconfiguration", metadata),
            Route("/v1/.well-known/keys", keys),
            Route("/{tenant}/v2.0/.well-known/openid-configuration", entra_metadata),
            Route("/{tenant}/discovery/v2.0/keys", keys),
            Route("/botframework.com/oauth2/v2.0/token", token, methods=["POST"]),
            Route(conversations, activities, methods=["POST"]),
            Route(conversations + "/{activity_id}", activities, methods=["POST", "PUT"]),
        ]

    def start(self) -> BotConnector:
        self._served = LoopbackServer(Starlette(routes=self._routes())).start()
        self._port = self._served.port
        return self

    def stop(self) -> None:
        if self._served is not None:
            self._served.stop()


class LoopbackServer:
    """An ASGI app served by uvicorn in a thread on a free loopback port (bound here, so
    no other process can take it between choosing and listening)."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LoopbackServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(self._app, log_level="warning", lifespan="off"))
        self._server = server
        self._thread = threading.Thread(
            target=lambda: server.run(sockets=[sock]), name="loopback-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the loopback server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

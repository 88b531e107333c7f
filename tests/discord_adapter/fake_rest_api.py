"""A fake Discord API on 127.0.0.1: the REST routes the bot uses (log in, sync commands, open
DMs, post messages, answer interactions) and a gateway websocket that says HELLO and READY and
then delivers whatever events a test sends. Every request is recorded; errors are canned per
channel, with Discord's JSON error bodies, so discord.py's own HTTP client maps them to its
exceptions and retries 429s.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GabcDE.fake-token-for-tests-0123456789abcd"
APP_ID = 200000000000000001
BOT_USER = {
    "id": str(APP_ID),
    "username": "optout",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}


@dataclass(frozen=True)
class Canned:
    """An error answer: HTTP status, Discord's error code, and how many times to give it."""

    status: int
    code: int
    message: str
    times: int = 1_000_000
    retry_after: float | None = None


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    json: Any


class FakeRestApi:
    def __init__(self, token: str = TOKEN):
        self.token = token
        self.requests: list[Request] = []
        self.errors: dict[int, Canned] = {}  # by channel id, for posting messages
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self._ids = itertools.count(900000000000000001)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.gateway_url = ""
        self.gateway_received: list[dict] = []  # what the bot sent on the gateway
        self.identified = asyncio.Event()
        self._socket: web.WebSocketResponse | None = None
        self._sequence = itertools.count(1)

    # --- what happened -----------------------------------------------------------------------

    def calls(self, method: str, path_start: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_start)]

    def posted(self, channel_id: int) -> list[dict]:
        """Messages created in a channel, as sent."""
        path = f"/api/v10/channels/{channel_id}/messages"
        return [r.json for r in self.requests if r.method == "POST" and r.path == path]

    def interaction_responses(self) -> list[dict]:
        """Interaction callbacks and follow-ups (webhook messages), as sent."""
        return [
            r.json
            for r in self.requests
            if r.method == "POST"
            and r.path.startswith(("/api/v10/interactions/", "/api/v10/webhooks/"))
        ]

    async def wait_until(self, condition, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.01)

    async def send_event(self, name: str, data: dict) -> None:
        """A gateway DISPATCH to the connected bot."""
        assert self._socket is not None, "no bot on the gateway"
        await self._socket.send_json({"op": 0, "t": name, "s": next(self._sequence), "d": data})

    def synced(self) -> list[Request]:
        return [r for r in self.requests if r.method == "PUT" and r.path.endswith("/commands")]

    # --- server ------------------------------------------------------------------------------

    async def start(self) -> FakeRestApi:
        app = web.Application()
        app.router.add_get("/api/v10/users/@me", self._me)
        app.router.add_get("/api/v10/oauth2/applications/@me", self._application)
        app.router.add_put("/api/v10/applications/{app}/commands", self._commands)
        app.router.add_put("/api/v10/applications/{app}/guilds/{guild}/commands", self._commands)
        app.router.add_post("/api/v10/users/@me/channels", self._open_dm)
        app.router.add_post("/api/v10/channels/{channel}/messages", self._message)
        app.router.add_post("/api/v10/interactions/{id}/{token}/callback", self._callback)
        app.router.add_post("/api/v10/webhooks/{app}/{token}", self._followup)
        app.router.add_get("/gateway", self._gateway)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _authorised(self, request: web.Request) -> web.Response | None:
        await self._record(request)
        if request.headers.get("Authorization") != f"Bot {self.token}":
            return _error(401, 0, "401: Unauthorized")
        return None

    async def _record(self, request: web.Request) -> Any:
        body = await request.json() if request.can_read_body else None
        self.requests.append(Request(request.method, request.path, body))
        return body

    async def _callback(self, request: web.Request) -> web.Response:
        # Interaction responses are authorised by the interaction token in the URL.
        await self._record(request)
        return _json({"interaction": {"id": request.match_info["id"], "type": 2}})

    async def _followup(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        return _json(message_payload(next(self._ids), 1, body))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 45000}})
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            self.gateway_received.append(data)
            if data["op"] == 1:  # heartbeat
                await socket.send_json({"op": 11})
            elif data["op"] == 2 and data["d"]["token"] != self.token:
                await socket.close(code=4004, message=b"Authentication failed.")
            elif data["op"] == 2:
                ready = {
                    "v": 10,
                    "user": BOT_USER,
                    "guilds": [],
                    "session_id": "session",
                    "resume_gateway_url": self.gateway_url,
                    "application": {"id": str(APP_ID), "flags": 0},
                }
                await self.send_event("READY", ready)
                self.identified.set()
        return socket

    async def _me(self, request: web.Request) -> web.Response:
        return await self._authorised(request) or _json(BOT_USER)

    async def _application(self, request: web.Request) -> web.Response:
        return await self._authorised(request) or _json(
            {
                "id": str(APP_ID),
                "name": "optout",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": {"id": "1", "username": "owner", "discriminator": "0", "avatar": None},
                "verify_key": "0" * 64,
                "flags": 0,
            }
        )

    async def _commands(self, request: web.Request) -> web.Response:
        refused = await self._authorised(request)
        if refused:
            return refused
        payload = self.requests[-1].json
        return _json(
            [
                command
                | {"id": str(next(self._ids)), "application_id": str(APP_ID), "version": "1"}
                for command in payload
            ]
        )

    async def _open_dm(self, request: web.Request) -> web.Response:
        refused = await self._authorised(request)
        if refused:
            return refused
        user_id = int(self.requests[-1].json["recipient_id"])
        channel_id = self.dm_channels.setdefault(user_id, next(self._ids))
        return _json(
            {
                "id": str(channel_id),
                "type": 1,
                "last_message_id": None,
                "recipients": [
                    {
                        "id": str(user_id),
                        "username": "someone",
                        "discriminator": "0",
                        "avatar": None,
                    }
                ],
            }
        )

    async def _message(self, request: web.Request) -> web.Response:
        refused = await self._authorised(request)
        if refused:
            return refused
        channel_id = int(request.match_info["channel"])
        canned = self.errors.get(channel_id)
        if canned is not None and canned.times > 0:
            remaining = canned.times - 1
            self.errors[channel_id] = Canned(
                canned.status, canned.code, canned.message, remaining, canned.retry_after
            )
            if canned.status == 429:
                # Discord's 429s come through its proxy (discord.py checks for the Via header).
                body = {
                    "message": canned.message,
                    "retry_after": canned.retry_after,
                    "global": False,
                }
                return _json(body, status=429, headers={"Via": "1.1 google"})
            return _error(canned.status, canned.code, canned.message)
        sent = self.requests[-1].json
        return _json(message_payload(next(self._ids), channel_id, sent))


def message_payload(message_id: int, channel_id: int, sent: dict) -> dict:
    """The message Discord would return for what was sent."""
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "type": 0,
        "content": sent.get("content") or "",
        "author": BOT_USER,
        "attachments": [],
        "embeds": sent.get("embeds", []),
        "components": sent.get("components", []),
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "timestamp": "2025-10-15T09:00:00+00:00",
        "edited_timestamp": None,
        "flags": sent.get("flags", 0),
    }


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json", as Discord sends it: discord.py parses nothing else as JSON.
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"message": message, "code": code}, status=status)

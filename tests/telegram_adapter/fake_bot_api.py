"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests of the real Application.

It serves POST /bot<token>/<method> like api.telegram.org: getUpdates hands out queued updates
and honours the offset, every other call is recorded. See research/platforms.md part B1.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token_0123456789abcdefghijklm"
BOT_USER = {
    "id": 4242,
    "is_bot": True,
    "first_name": "OptOutBot",
    "username": "optout_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
LONG_POLL = 0.1  # at most this long on an empty queue: a stand-in for Telegram's long poll
JSON_FIELDS = (
    "reply_markup",
    "reply_parameters",
    "results",
    "commands",
    "allowed_updates",
    "link_preview_options",
)


@dataclass(frozen=True)
class ApiError:
    code: int
    description: str
    retry_after: int | None = None


class FakeBotApi:
    def __init__(self, token: str = TOKEN):
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.errors: dict[int, ApiError] = {}  # canned per chat id, for sendMessage
        self.reject_token = False  # every call answers 401, as for a revoked token
        self.base_url = ""
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self.messages: list[dict] = []  # what sendMessage returned, for pressing their buttons
        self._changed = asyncio.Condition()
        self._queued = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> FakeBotApi:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- updates the tests queue --------------------------------------------------------------

    def user(self, user_id: int, first_name: str = "Alice") -> dict:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}

    def message(
        self,
        text: str,
        chat_id: int = 1001,
        *,
        chat_type: str = "private",
        user_id: int | None = None,
        first_name: str = "Alice",
        reply_to: dict | None = None,
    ) -> dict:
        """Queue a message from a user; a leading /command gets its bot_command entity."""
        chat = {"id": chat_id, "type": chat_type}
        chat |= {"first_name": first_name} if chat_type == "private" else {"title": "Group"}
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id or abs(chat_id), first_name),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self.queue({"message": message})
        return message

    def callback(self, data: str, on: dict, user_id: int = 1001) -> str:
        """Queue a press on a button with this callback_data under the bot's message `on`."""
        query_id = f"cq{next(self._update_ids)}"
        self.queue(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user(user_id),
                    "chat_instance": "ci-1",
                    "data": data,
                    "message": on,
                }
            }
        )
        return query_id

    def inline_query(self, query: str, user_id: int = 1001) -> str:
        query_id = f"iq{next(self._update_ids)}"
        self.queue(
            {
                "inline_query": {
                    "id": query_id,
                    "from": self.user(user_id),
                    "query": query,
                    "offset": "",
                    "chat_type": "sender",
                }
            }
        )
        return query_id

    def raw_update(self, payload: dict) -> dict:
        """An update as Telegram would POST it to a webhook (not queued)."""
        return {"update_id": next(self._update_ids), **payload}

    def clear_updates(self) -> None:
        self._updates.clear()

    def queue(self, payload: dict) -> None:
        self._updates.append(self.raw_update(payload))
        self._queued.set()

    # --- what the bot did ---------------------------------------------------------------------

    def requests(self, method: str) -> list[dict]:
        return [params for name, params in self.calls if name == method]

    @property
    def sent(self) -> list[dict]:
        return self.requests("sendMessage")

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[dict]:
        """The first `count` calls of a method, once they have arrived."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.requests(method)) >= count), timeout
            )
        return self.requests(method)[:count]

    # --- the API ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token or self.reject_token:
            return _error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:  # PTB posts form-encoded fields; nested objects arrive as JSON text
            params = dict(await request.post())
            for name in JSON_FIELDS:
                if isinstance(params.get(name), str):
                    params[name] = json.loads(params[name])
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(ApiError(404, "Not Found: method not found"))
        if method != "getUpdates":
            async with self._changed:
                self.calls.append((method, params))
                self._changed.notify_all()
        return await handler(params)

    async def _m_getMe(self, params: dict) -> web.Response:
        return _ok(BOT_USER)

    async def _m_setMyCommands(self, params: dict) -> web.Response:
        return _ok(True)

    async def _m_deleteWebhook(self, params: dict) -> web.Response:
        if params.get("drop_pending_updates") in ("true", "True", True):
            self._updates.clear()
        return _ok(True)

    async def _m_setWebhook(self, params: dict) -> web.Response:
        return _ok(True)

    async def _m_getUpdates(self, params: dict) -> web.Response:
        self.calls.append(("getUpdates", params))
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]  # confirmed
        if not self._updates and float(params.get("timeout") or 0):
            self._queued.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queued.wait(), LONG_POLL)
        return _ok(self._updates[: int(params.get("limit") or 100)])

    async def _m_sendMessage(self, params: dict) -> web.Response:
        chat_id = int(params["chat_id"])
        if chat_id in self.errors:
            return _error(self.errors[chat_id])
        chat_type = "private" if chat_id > 0 else "supergroup"
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type},
            "from": BOT_USER,
            "text": params["text"],
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages.append(message)
        return _ok(message)

    async def _m_answerCallbackQuery(self, params: dict) -> web.Response:
        return _ok(True)

    async def _m_answerInlineQuery(self, params: dict) -> web.Response:
        return _ok(True)

    async def _m_editMessageReplyMarkup(self, params: dict) -> web.Response:
        chat_id = int(params["chat_id"])
        message = {
            "message_id": int(params["message_id"]),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT_USER,
            "text": "edited",
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return _ok(message)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(error: ApiError) -> web.Response:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": error.code,
        "description": error.description,
    }
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return web.json_response(body, status=error.code)

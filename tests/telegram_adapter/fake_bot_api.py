"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests of the real Application.

It serves POST /bot<token>/<method> like api.telegram.org: getUpdates hands out queued updates
and honours the offset, every other call is recorded. See research/platforms.md part B1.

For reminder delivery it can refuse chats (403, 400 "chat not found"), answer one call with an
error (a 429 with retry_after), move a group to a new id, and enforce a flood limit: at most
`flood_limit` sendMessage calls in any second, a 429 beyond it, as Telegram does.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import math
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
    "button",
    "commands",
    "allowed_updates",
    "link_preview_options",
)


@dataclass(frozen=True)
class ApiError:
    code: int
    description: str
    retry_after: int | None = None
    migrate_to_chat_id: int | None = None


BLOCKED = ApiError(403, "Forbidden: bot was blocked by the user")
CHAT_NOT_FOUND = ApiError(400, "Bad Request: chat not found")


def flooded(retry_after: int = 1) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


class FakeBotApi:
    def __init__(self, token: str = TOKEN, *, flood_limit: int | None = None):
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.call_times: list[float] = []  # time.monotonic() of each call in `calls`
        self.errors: dict[int, ApiError] = {}  # canned per chat id, for sendMessage
        self.next_errors: dict[int, list[ApiError]] = {}  # one per sendMessage, then none
        self.members: dict[tuple[int, int], str] = {}  # (chat, user) -> status; else "member"
        self.flood_limit = flood_limit  # sendMessage calls allowed in any one second
        self.flood_answers = 0  # 429s answered for the flood limit
        self.delivered = 0  # sendMessage calls that succeeded
        self.latency = 0.0  # seconds each sendMessage takes to answer, as over a network
        self._recent_sends: collections.deque[float] = collections.deque()
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
            # A long poll still waiting answers now, rather than hold the shutdown for its wait.
            self._queued.set()
            await self._runner.cleanup()

    # --- updates the tests queue --------------------------------------------------------------

    def user(self, user_id: int, first_name: str = "Alice", language: str = "en") -> dict:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language,
        }

    def message(
        self,
        text: str,
        chat_id: int = 1001,
        *,
        chat_type: str = "private",
        user_id: int | None = None,
        first_name: str = "Alice",
        reply_to: dict | None = None,
        language: str = "en",
    ) -> dict:
        """Queue a message from a user; a leading /command gets its bot_command entity."""
        chat = {"id": chat_id, "type": chat_type}
        chat |= {"first_name": first_name} if chat_type == "private" else {"title": "Group"}
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id or abs(chat_id), first_name, language),
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

    def my_chat_member(
        self, chat_id: int, status: str, *, old: str = "member", user_id: int | None = None
    ) -> None:
        """Queue the bot's own membership change: "kicked" when a user blocks it or a group
        bans it, "left" when a group removes it."""
        chat_type = "private" if chat_id > 0 else "supergroup"
        chat = {"id": chat_id, "type": chat_type}
        chat |= {"first_name": "Alice"} if chat_type == "private" else {"title": "Group"}
        member = {"user": BOT_USER}
        new_member = {**member, "status": status}
        if status == "kicked":
            new_member["until_date"] = 0
        self.queue(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": self.user(user_id or abs(chat_id)),
                    "date": int(time.time()),
                    "old_chat_member": {**member, "status": old},
                    "new_chat_member": new_member,
                }
            }
        )

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
                self.call_times.append(time.monotonic())
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
        self.call_times.append(time.monotonic())
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]  # confirmed
        if not self._updates and float(params.get("timeout") or 0):
            self._queued.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queued.wait(), LONG_POLL)
        return _ok(self._updates[: int(params.get("limit") or 100)])

    async def _m_sendMessage(self, params: dict) -> web.Response:
        chat_id = int(params["chat_id"])
        if self.flood_limit is not None and (wait := self._flood_wait()):
            self.flood_answers += 1
            return _error(flooded(wait))
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.next_errors.get(chat_id):
            return _error(self.next_errors[chat_id].pop(0))
        if chat_id in self.errors:
            return _error(self.errors[chat_id])
        self.delivered += 1
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

    def _flood_wait(self) -> int:
        """0 when this message fits in the last second's budget, else the seconds to wait."""
        now = time.monotonic()
        recent = self._recent_sends
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        if len(recent) < (self.flood_limit or 0):
            recent.append(now)
            return 0
        return max(1, math.ceil(recent[0] + 1.0 - now))

    async def _m_getChatMember(self, params: dict) -> web.Response:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        status = self.members.get((chat_id, user_id), "member")
        member: dict[str, Any] = {"status": status, "user": self.user(user_id)}
        if status == "creator":
            member |= {"is_anonymous": False}
        if status == "administrator":
            rights = (
                "can_be_edited can_manage_chat can_delete_messages can_manage_video_chats "
                "can_restrict_members can_promote_members can_change_info can_invite_users "
                "can_post_stories can_edit_stories can_delete_stories is_anonymous"
            )
            member |= dict.fromkeys(rights.split(), False) | {"can_manage_chat": True}
        return _ok(member)

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
    if error.migrate_to_chat_id is not None:
        body["parameters"] = {"migrate_to_chat_id": error.migrate_to_chat_id}
    return web.json_response(body, status=error.code)

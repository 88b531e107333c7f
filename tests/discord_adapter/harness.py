"""The one file that reaches into discord.py's private names (pinned to 2.7.*): real gateway
payloads (INTERACTION_CREATE, MESSAGE_CREATE) fed to the connection state as the gateway would,
through the real CommandTree and view store, with the interaction webhook adapter replaced by a
recorder (research/platforms.md, part B2 "Alternative B"). Nothing here touches the network.

Private names used: Client._async_setup_hook, ConnectionState.parse_interaction_create and
parse_message_create, ConnectionState.user and application_id, webhook.async_.async_context, Route.BASE,
DiscordWebSocket.DEFAULT_GATEWAY.

Tests deliver an event and wait for what it started (dispatch, receive); bench/bench_discord.py
delivers events as they come (deliver) and waits once for all of them (settle).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import discord
import discord.gateway
import discord.http
import yarl
from discord.webhook.async_ import async_context

from tests.discord_adapter.fake_rest_api import APP_ID, BOT_USER, TOKEN, message_payload

GUILD_ID = 300000000000000001
CHANNEL_ID = 300000000000000002
DM_CHANNEL_ID = 300000000000000003
USER_ID = 400000000000000001
OTHER_USER_ID = 400000000000000002
EPHEMERAL = 64
# What a member and the bot may do in the channel, as Discord resolves it.
MEMBER = discord.Permissions(view_channel=True, send_messages=True, use_application_commands=True)
MODERATOR = MEMBER | discord.Permissions(manage_guild=True)
BOT_IN_CHANNEL = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)

_ids = itertools.count(500000000000000001)
ClientT = TypeVar("ClientT", bound=discord.Client)


# --- the webhook adapter ---------------------------------------------------------------------


@dataclass
class Sent:
    kind: str  # "callback" (the interaction response) or "followup"
    payload: dict[str, Any]
    token: str = ""  # the interaction's token: which interaction it answers
    at: float = field(default_factory=time.perf_counter)  # when discord.py sent it

    @property
    def type(self) -> int | None:
        return self.payload.get("type") if self.kind == "callback" else None

    @property
    def message(self) -> dict[str, Any]:
        """The message data: a callback's "data", or a follow-up's whole payload."""
        return self.payload.get("data") or {} if self.kind == "callback" else self.payload


@dataclass
class RecordingAdapter:
    """Stands in for AsyncWebhookAdapter: records what discord.py would send, answers as
    Discord would, and never opens a connection."""

    sent: list[Sent] = field(default_factory=list)

    async def create_interaction_response(
        self, interaction_id, token, *, session, proxy=None, proxy_auth=None, params
    ):
        self.sent.append(Sent("callback", params.payload, token))
        flags = (params.payload.get("data") or {}).get("flags", 0)
        return {
            "interaction": {
                "id": str(interaction_id),
                "type": 2,
                "response_message_loading": params.payload["type"] == 5,
                "response_message_ephemeral": bool(flags & EPHEMERAL),
            }
        }

    async def execute_webhook(self, webhook_id, token, *, session, payload=None, **kwargs):
        self.sent.append(Sent("followup", payload or {}, token))
        channel = CHANNEL_ID
        return message_payload(next(_ids), channel, payload or {})

    def messages(self) -> list[dict[str, Any]]:
        """Every message sent (responses of type 4, and follow-ups), in order."""
        return [s.message for s in self.sent if s.kind == "followup" or s.type == 4]

    def clear(self) -> None:
        self.sent.clear()


@contextlib.contextmanager
def recording_adapter() -> Iterator[RecordingAdapter]:
    adapter = RecordingAdapter()
    token = async_context.set(adapter)
    try:
        yield adapter
    finally:
        async_context.reset(token)


# --- the bot, without a gateway --------------------------------------------------------------


async def start_offline(bot: discord.Client) -> None:
    """What login() does before connecting, without the network: the loop, the application id,
    then setup_hook (cog, persistent buttons, and a sync when the bot is set to sync)."""
    await bot._async_setup_hook()
    bot._connection.user = discord.ClientUser(state=bot._connection, data=BOT_USER)
    bot._connection.application_id = APP_ID
    await bot.setup_hook()


@contextlib.asynccontextmanager
async def offline(bot: ClientT) -> AsyncIterator[ClientT]:
    """The bot as it is after setup_hook, with no gateway: interactions come from the harness,
    interaction responses go to the recording adapter, and its other REST calls (a DM to the
    user) go wherever Route.BASE points (point_http_at)."""
    await start_offline(bot)
    await bot.http.static_login(TOKEN)
    try:
        yield bot
    finally:
        await bot.close()


def point_http_at(monkeypatch, base_url: str) -> None:
    """discord.py's REST calls go to base_url (a FakeRestApi) instead of discord.com."""
    monkeypatch.setattr(discord.http.Route, "BASE", base_url)


def point_gateway_at(monkeypatch, gateway_url: str) -> None:
    """The gateway websocket goes to gateway_url (a FakeRestApi) instead of discord.gg."""
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(gateway_url))


# --- gateway events --------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where an interaction happens: a server channel (with permissions) or the bot's DM."""

    guild: bool
    user_id: int = USER_ID
    permissions: discord.Permissions = MEMBER
    app_permissions: discord.Permissions = BOT_IN_CHANNEL
    locale: str = "en-US"  # the user's Discord client language


IN_SERVER = Place(guild=True)
IN_DM = Place(guild=False)


def _user(user_id: int) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": f"user{user_id % 100}",
        "discriminator": "0",
        "avatar": None,
    }


def _interaction(kind: int, data: dict[str, Any], place: Place) -> dict[str, Any]:
    interaction_id = next(_ids)
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"interaction-token-{interaction_id}",
        "version": 1,
        "attachment_size_limit": 8388608,
        "locale": place.locale,
        "entitlements": [],
        "app_permissions": str(place.app_permissions.value),
        "data": data,
    }
    if place.guild:
        payload |= {
            "context": 0,
            "guild_id": str(GUILD_ID),
            "guild_locale": "en-US",
            "guild": {"id": str(GUILD_ID), "locale": "en-US", "features": []},
            "channel_id": str(CHANNEL_ID),
            "channel": {
                "id": str(CHANNEL_ID),
                "type": 0,
                "guild_id": str(GUILD_ID),
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "flags": 0,
            },
            "member": {
                "user": _user(place.user_id),
                "roles": [],
                "joined_at": "2025-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(place.permissions.value),
            },
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
        }
    else:
        payload |= {
            "context": 1,
            "channel_id": str(DM_CHANNEL_ID),
            "channel": {"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [_user(place.user_id)]},
            "user": _user(place.user_id),
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
        }
    return payload


def _option(name: str, value: Any, focused: bool = False) -> dict[str, Any]:
    kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3
    option = {"name": name, "type": kind, "value": value}
    return option | {"focused": True} if focused else option


def slash(
    subcommand: str, place: Place = IN_DM, /, group: str = "optout", **options: Any
) -> dict[str, Any]:
    """/optout <subcommand> with options, as Discord sends it."""
    sub = {"name": subcommand, "type": 1, "options": [_option(k, v) for k, v in options.items()]}
    data = {"id": str(next(_ids)), "name": group, "type": 1, "options": [sub]}
    return _interaction(2, data, place)


def autocomplete(
    subcommand: str, option: str, typed: str, place: Place = IN_DM, **others: Any
) -> dict[str, Any]:
    """The user typing `typed` into an option with suggestions."""
    options = [_option(k, v) for k, v in others.items()] + [_option(option, typed, focused=True)]
    sub = {"name": subcommand, "type": 1, "options": options}
    data = {"id": str(next(_ids)), "name": "optout", "type": 1, "options": [sub]}
    return _interaction(4, data, place)


def button_press(sent_message: dict[str, Any], custom_id: str, place: Place = IN_DM) -> dict:
    """A press on a button of a message the bot sent earlier (its components as sent)."""
    payload = _interaction(3, {"custom_id": custom_id, "component_type": 2}, place)
    channel = CHANNEL_ID if place.guild else DM_CHANNEL_ID
    payload["message"] = message_payload(next(_ids), channel, sent_message)
    return payload


def dm_message(text: str, user_id: int = USER_ID, *, bot: bool = False) -> dict[str, Any]:
    """MESSAGE_CREATE for a direct message to the bot."""
    return {
        "id": str(next(_ids)),
        "channel_id": str(DM_CHANNEL_ID),
        "type": 0,
        "content": text,
        "author": BOT_USER if bot else _user(user_id),
        "attachments": [],
        "embeds": [],
        "components": [],
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "timestamp": "2025-10-15T09:00:00+00:00",
        "edited_timestamp": None,
        "flags": 0,
    }


async def dispatch(bot: discord.Client, payload: dict[str, Any]) -> None:
    """Deliver an INTERACTION_CREATE and wait until everything it started is done."""
    deliver(bot, payload)
    await settle()


async def receive(bot: discord.Client, payload: dict[str, Any]) -> None:
    """Deliver a MESSAGE_CREATE and wait until the bot has answered."""
    bot._connection.parse_message_create(payload)
    await settle()


def deliver(bot: discord.Client, payload: dict[str, Any]) -> None:
    """Deliver an INTERACTION_CREATE as the gateway reader does, without waiting for the bot."""
    bot._connection.parse_interaction_create(payload)


# Tasks discord.py starts for an event (command, button, listener); others (such as the fake
# server's connection handlers) are not waited for.
_EVENT_TASKS = ("CommandTree-invoker", "discord-ui-", "discord.py: ")


async def settle() -> None:
    """Wait until every task discord.py started for the events delivered so far is done, and
    those they started in turn."""
    done: set[asyncio.Task] = set()
    while pending := {
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith(_EVENT_TASKS) and task not in done
    }:
        await asyncio.gather(*pending)
        done |= pending

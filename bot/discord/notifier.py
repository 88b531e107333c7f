"""Reminder delivery on Discord: DMs to "user:<id>", posts to "channel:<id>".

discord.py waits out 429s itself (they are counted here); sends are paced besides, because
refusals (DMs closed) count towards Discord's 10,000 invalid requests per 10 minutes.

A channel that refuses a reminder for good (the bot lost its permission there, or the channel is
gone) is reported by DM to the member who set up its reminders, before the subscription stops.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace

import aiohttp
import discord

from bot.core.chats import ChatRef
from bot.core.knowledge import KnowledgeBase
from bot.core.reminders import Subscription
from bot.discord.chats import DISCORD_COMMANDS, PLATFORM, parse_chat_id
from bot.discord.render import split_content
from bot.service.commands import CommandForm
from bot.service.errors import PermanentRefusal, TransientFailure
from bot.service.log_ids import log_tag

log = logging.getLogger(__name__)

SENDS_PER_SECOND = 5.0  # well under the global 50 requests/s, leaving room for answers

Sleep = Callable[[float], Awaitable[None]]


class RateLimitCounter:
    """429 responses seen by one client's HTTP session, from an aiohttp trace: discord.py
    retries them itself, so they are otherwise invisible."""

    def __init__(self) -> None:
        self.count = 0
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_end.append(self._on_request_end)

    async def _on_request_end(
        self,
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        if params.response.status == 429:
            self.count += 1
            log.warning("discord rate limited count=%d", self.count)


class Pacer:
    """Hands out send slots at most `per_second` apart, to every caller together."""

    def __init__(
        self,
        per_second: float = SENDS_PER_SECOND,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            await self._sleep(slot - now)


class DiscordNotifier:
    """The Notifier port for Discord, over a logged-in client (the gateway is not needed)."""

    def __init__(
        self,
        client: discord.Client,
        *,
        pacer: Pacer | None = None,
        rate_limits: RateLimitCounter | None = None,
    ):
        self.client = client
        self.pacer = pacer or Pacer()
        self._rate_limits = rate_limits or getattr(client, "rate_limits", None)

    @property
    def rate_limited(self) -> int:
        """How many 429s the client has seen (and discord.py has waited out)."""
        return self._rate_limits.count if self._rate_limits is not None else 0

    @staticmethod
    def command_form(chat: ChatRef) -> CommandForm:
        """Channels and DMs alike: the /optout subcommands (a channel never hears bare words)."""
        return DISCORD_COMMANDS

    async def send(self, chat: ChatRef, text: str, stop_label: str = "Stop reminders") -> None:
        try:
            if chat.platform != PLATFORM:
                raise ValueError("not a Discord chat")
            kind, number = parse_chat_id(chat.chat_id)
        except ValueError:
            raise PermanentRefusal("not a Discord chat id") from None
        for content in split_content(text):
            await self.pacer.wait()
            try:
                channel = await self._channel(kind, number)
                await channel.send(
                    content, allowed_mentions=discord.AllowedMentions.none(), suppress_embeds=True
                )
            except (discord.Forbidden, discord.NotFound) as error:
                # 50007 DMs closed or bot blocked, 50001 missing access, 10003 unknown channel...
                log.info(
                    "discord delivery refused kind=%s id=%s status=%s code=%s",
                    kind,
                    log_tag(number),
                    error.status,
                    error.code,
                )
                raise PermanentRefusal(f"{type(error).__name__} code {error.code}") from None
            except discord.RateLimited as error:
                raise TransientFailure("rate limited", retry_after=error.retry_after) from None
            except discord.HTTPException as error:
                if error.status == 429 or error.status >= 500:
                    raise TransientFailure(f"HTTP {error.status}") from None
                raise  # a request Discord rejects as malformed: retried, then recorded failed
            except (aiohttp.ClientError, TimeoutError, OSError) as error:
                raise TransientFailure(type(error).__name__) from None
        log.info("discord reminder sent kind=%s id=%s", kind, log_tag(number))

    async def on_gone(self, subscription: Subscription, words: KnowledgeBase) -> None:
        """A channel refused its reminders for good: tell the member who set them up, by DM,
        which channel (and server, when the client knows it) and how to set them up again.
        A DM refused too is only logged: the subscription stops all the same."""
        try:
            kind, channel_id = parse_chat_id(subscription.chat_id)
            setter_kind, user_id = parse_chat_id(subscription.set_up_by or "")
        except ValueError:
            return
        if subscription.platform != PLATFORM or kind != "channel" or setter_kind != "user":
            return
        text = words.say("doors.channel_gone", channel=self._channel_name(channel_id))
        await self.pacer.wait()
        try:
            dm = await self._channel("user", user_id)
            await dm.send(text, allowed_mentions=discord.AllowedMentions.none())
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as error:
            log.info(
                "discord channel-gone notice not delivered channel=%s user=%s error=%s code=%s",
                log_tag(channel_id),
                log_tag(user_id),
                type(error).__name__,
                getattr(error, "code", None),
            )
            return
        log.info(
            "discord channel-gone notice sent channel=%s user=%s",
            log_tag(channel_id),
            log_tag(user_id),
        )

    def _channel_name(self, channel_id: int) -> str:
        """The channel as a mention (Discord shows its name to those who can see it), with its
        server's name when the client has that channel cached."""
        mention = f"<#{channel_id}>"
        channel = self.client.get_channel(channel_id)
        guild = getattr(channel, "guild", None)
        name = getattr(guild, "name", None)
        return f"{mention} ({discord.utils.escape_markdown(name)})" if name else mention

    async def _channel(self, kind: str, number: int) -> discord.abc.Messageable:
        if kind == "user":
            return await self.client.create_dm(discord.Object(id=number))  # cached after the first
        return self.client.get_partial_messageable(number)

"""Reminders out through Telegram: the dispatcher's Notifier port over a python-telegram-bot Bot,
paced under Telegram's flood limits, with Telegram's errors mapped to the dispatcher's.

Limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this): about
30 messages a second overall, 1 a second per chat, 20 a minute per group. The bot's
TelegramRateLimiter (limits.py) holds every message to 30 in any second, replies first; it has
nothing per private chat. The Pacer here adds the per-chat spacing and spaces reminders evenly
just under the overall rate, so a broadcast never takes the whole second from replies.

The limits are the bot's, whatever the number of processes: the notifier names its account
(sender_keys), and the dispatcher sends only while it holds that account's sender lease in the
database, so of several replicas one sends at a time and this Pacer's rate is the bot's rate.

A 429 is reported as TransientFailure(retry_after): the dispatcher owns retries and waits that
long before trying the same reminder again (not counted as an attempt), and the Pacer holds every
other reminder as long.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ExtBot
from telegram.warnings import PTBDeprecationWarning

from bot.core.chats import ChatRef
from bot.service.commands import SLASH_COMMANDS, CommandForm
from bot.service.errors import DeliveryError, PermanentRefusal, TransientFailure
from bot.service.log_ids import log_tag, quiet_token_bearing_loggers
from bot.telegram.limits import PACE, REMINDER_TERMS, TelegramRateLimiter
from bot.telegram.render import ButtonPress, plain_messages
from bot.telegram.settings import TelegramSettings

log = logging.getLogger(__name__)

PRIVATE_CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
GROUP_CHAT_INTERVAL = 60 / 20  # 20 a minute per group, evenly
# Telegram answers 400, not 403, for these; they do not get better by retrying.
GONE = ("chat not found", "not enough rights to send", "user is deactivated")
STOP_BUTTON = "Stop reminders"
PRUNE_AT = 4096  # chats remembered by the Pacer before the idle ones are dropped

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class _Chat:
    next_at: float = -math.inf
    users: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Pacer:
    """When each message may start: at least `overall_interval` after the previous one, at least
    the chat's interval after the previous one to that chat, and not before a 429's wait is over.

    Even spacing, not a bucket: a bucket's burst would put 60 messages in the first second's
    window. Overall slots are handed out first come, first served, and only to a message whose
    chat is ready, so one busy chat never holds up the others."""

    def __init__(
        self,
        overall_interval: float,
        *,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ):
        self.overall_interval = overall_interval
        self._clock = clock
        self._sleep = sleep
        self._next_overall = -math.inf
        self._last_start = -math.inf
        self._held_until = -math.inf
        self._chats: dict[int, _Chat] = {}

    async def wait(self, chat_id: int, interval: float) -> None:
        """Returns when a message to this chat may start; the caller then sends it at once."""
        chat = self._chats.setdefault(chat_id, _Chat())
        chat.users += 1
        try:
            async with chat.lock:  # messages to one chat queue here, in order
                await self._until(chat.next_at)
                while True:
                    start = max(self._clock(), self._next_overall, self._held_until)
                    self._next_overall = start + self.overall_interval
                    await self._until(start)
                    if self._clock() >= self._held_until:
                        break
                    # A 429 arrived while we waited: take a new slot after it, spaced like the
                    # rest, rather than all start together the moment the hold ends (a burst).
                # A slot is when a message may start; a busy event loop wakes its sender late,
                # and the next slot's sender on time: the two would go out together. So the
                # spacing also holds between the moments messages really start.
                while (gap := self._last_start + self.overall_interval - self._clock()) > 0:
                    await self._sleep(gap)
                self._last_start = self._clock()
                chat.next_at = self._clock() + interval
        finally:
            chat.users -= 1
        if len(self._chats) > PRUNE_AT:
            self._prune()

    def hold(self, seconds: float) -> None:
        """Telegram said to wait: no message starts for this long."""
        until = self._clock() + seconds
        self._held_until = max(self._held_until, until)
        self._next_overall = max(self._next_overall, until)

    async def _until(self, moment: float) -> None:
        delay = moment - self._clock()
        if delay > 0:
            await self._sleep(delay)

    def _prune(self) -> None:
        now = self._clock()
        idle = [key for key, c in self._chats.items() if c.users == 0 and c.next_at <= now]
        for key in idle:
            del self._chats[key]


class TelegramNotifier:
    """Sends reminders as HTML messages with a "Stop reminders" button; raises PermanentRefusal
    when Telegram will never deliver to the chat, TransientFailure when a later try may work."""

    def __init__(
        self,
        bot: Bot,
        *,
        per_second: float = PACE,
        private_interval: float = PRIVATE_CHAT_INTERVAL,
        group_interval: float = GROUP_CHAT_INTERVAL,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ):
        self.bot = bot
        self.private_interval = private_interval
        self.group_interval = group_interval
        self.pacer = Pacer(1 / per_second, clock=clock, sleep=sleep)
        # The rate limits are per bot: its id (the token's public part, never the secret).
        self.sender_keys = {"telegram": f"telegram:{bot.token.partition(':')[0]}"}

    async def aclose(self) -> None:
        """Close the bot's connections; for a notifier that owns its bot (from
        standalone_notifier), once its last reminder is sent."""
        await self.bot.shutdown()

    def command_form(self, chat: ChatRef) -> CommandForm:
        """ "/unsubscribe", tappable, in a private chat; in a group "/unsubscribe@bot", the form a
        bot in privacy mode is sure to hear, when the bot knows its name (a standalone bot for
        `reminders run` does not ask Telegram for it)."""
        if not chat.chat_id.startswith("-"):
            return SLASH_COMMANDS
        try:
            username = self.bot.username
        except RuntimeError:  # not initialized: never asked getMe
            return SLASH_COMMANDS
        return CommandForm(prefix="/", mention=f"@{username}")

    async def send(self, chat: ChatRef, text: str, stop_label: str = "Stop reminders") -> None:
        try:
            chat_id = int(chat.chat_id)
        except ValueError:
            raise PermanentRefusal("not a Telegram chat id") from None
        messages = plain_messages(text)
        for n, message in enumerate(messages):
            last = n == len(messages) - 1
            await self._send_one(chat_id, message, _stop_keyboard(stop_label) if last else None)

    async def _send_one(
        self, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None
    ) -> None:
        try:
            await self._post(chat_id, text, keyboard)
        except ChatMigrated as moved:
            # A group became a supergroup: same people, new id. This reminder goes there.
            log.info(
                "telegram reminder chat=%s moved to chat=%s",
                log_tag(chat_id),
                log_tag(moved.new_chat_id),
            )
            try:
                await self._post(moved.new_chat_id, text, keyboard)
            except TelegramError as exc:
                raise self._failure(moved.new_chat_id, exc) from None
        except TelegramError as exc:
            raise self._failure(chat_id, exc) from None

    async def _post(self, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
        interval = self.group_interval if chat_id < 0 else self.private_interval
        await self.pacer.wait(chat_id, interval)
        await self.bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            reply_markup=keyboard,
            rate_limit_args=REMINDER_TERMS,
        )

    def _failure(self, chat_id: int, exc: TelegramError) -> DeliveryError:
        """What the dispatcher should make of a Telegram error (never its text: no user data)."""
        kind = type(exc).__name__
        if isinstance(exc, RetryAfter):
            wait = retry_after_seconds(exc)
            self.pacer.hold(wait)
            log.warning("telegram flood limit chat=%s retry_after=%s", log_tag(chat_id), wait)
            return TransientFailure("Telegram flood limit", retry_after=wait)
        if isinstance(exc, Forbidden) or (
            isinstance(exc, BadRequest) and any(g in exc.message.lower() for g in GONE)
        ):
            log.info("telegram reminder refused chat=%s error=%s", log_tag(chat_id), kind)
            return PermanentRefusal(f"Telegram refused the chat ({kind})")
        if isinstance(exc, BadRequest):
            # The message itself is wrong (a bug): retrying will not help, nor will deactivating.
            log.warning("telegram reminder rejected chat=%s error=%s", log_tag(chat_id), kind)
            return DeliveryError(f"Telegram rejected the message ({kind})")
        if isinstance(exc, InvalidToken):
            log.error("telegram rejected the bot token while sending reminders")
            return TransientFailure("Telegram rejected the bot token")
        if isinstance(exc, NetworkError):  # TimedOut included
            return TransientFailure(f"Telegram unreachable ({kind})")
        return TransientFailure(f"Telegram error ({kind})")


def retry_after_seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after is an int in v22 and a timedelta with PTB_TIMEDELTA=1 (and later)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _stop_keyboard(label: str = STOP_BUTTON) -> InlineKeyboardMarkup:
    data = ButtonPress("command", command="unsubscribe").encode()
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


def reminder_bot(settings: TelegramSettings) -> ExtBot:
    """A bot for sending reminders outside the Application (`optout-bot reminders run`), with the
    same rate limiter as the Application's: 30 messages in any second, per-group buckets, and a
    reminder's 429s to the caller."""
    quiet_token_bearing_loggers()
    return ExtBot(
        settings.token,
        base_url=settings.api_base_url,
        rate_limiter=TelegramRateLimiter(),
    )


def standalone_notifier(settings: TelegramSettings) -> TelegramNotifier:
    """A Telegram notifier that owns its bot, outside the Application (close it with aclose())."""
    return TelegramNotifier(reminder_bot(settings))

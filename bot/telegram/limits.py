"""Telegram's flood limits on the bot's side: at most 30 messages in any one second for the
whole bot, 20 a minute per group (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-
how-do-i-avoid-this).

The overall limit is a sliding window, not a bucket. aiolimiter's leaky bucket (what
AIORateLimiter uses) lets a full bucket of 30 plus a second's refill into one second, which
Telegram answers with 429s; a bucket of one spaces messages evenly and so queues every burst of
questions, however short. pyrate-limiter has a sliding window, but dates a waiter by the moment
it planned to wake, not the moment it went, and a busy event loop wakes it later. The window
here counts the moments messages really start, and serves replies before reminders: a person
waiting for an answer goes first, a reminder loses nothing by waiting a second.

AIORateLimiter still does the rest: the per-group buckets, and waiting out a 429 for the calls
that ask for retries.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.ext import AIORateLimiter

OVERALL_PER_SECOND = 30  # Telegram's limit
# Network delays differ from one message to the next: counted over a window 20 ms longer than
# Telegram's second, 30 messages that left here within it still reach Telegram within it.
WINDOW_SECONDS = 1.02
# The reminder Pacer spaces reminders 3% under the limit, which leaves room for replies.
PACE = 0.97 * OVERALL_PER_SECOND
REPLY = 0  # priorities: lower goes first
REMINDER = 1


@dataclass(frozen=True)
class SendTerms:
    """What a caller tells the limiter through `rate_limit_args`: its priority, and how many times
    a 429 is waited out and the call sent again (0: the RetryAfter reaches the caller)."""

    priority: int = REPLY
    retries_on_429: int = 0


REPLY_TERMS = SendTerms(REPLY, retries_on_429=3)
REMINDER_TERMS = SendTerms(REMINDER)  # the dispatcher owns a reminder's retries


class SlidingWindow:
    """At most `limit` starts in any `window` seconds. A waiter is served by priority, then in
    the order it came; `acquire` returns when it may start, and that moment is counted."""

    def __init__(
        self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._starts: deque[float] = deque(maxlen=limit)  # the last `limit` starts
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    async def acquire(self, priority: int = REPLY) -> None:
        if not self._waiting and self._free_in() <= 0:
            self._starts.append(self._clock())  # the common case: no wait, no future
            return
        granted = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), granted))
        self._serve()
        # A waiter cancelled here leaves a cancelled future, which _serve skips.
        await granted

    def _free_in(self) -> float:
        """Seconds until one more start fits in the window (≤ 0: now)."""
        if len(self._starts) < self.limit:
            return 0.0
        return self._starts[0] + self.window - self._clock()

    def _serve(self) -> None:
        """Grant every waiter that fits now, then sleep until the window has room again."""
        if self._timer is not None:
            return  # already waiting for room; a new waiter only joins the queue
        while self._waiting:
            granted = self._waiting[0][2]
            if granted.done():  # cancelled while it waited
                heapq.heappop(self._waiting)
                continue
            wait = self._free_in()
            if wait > 0:
                self._timer = asyncio.get_running_loop().call_later(wait, self._wake)
                return
            heapq.heappop(self._waiting)
            self._starts.append(self._clock())
            granted.set_result(None)

    def _wake(self) -> None:
        self._timer = None
        self._serve()


class TelegramRateLimiter(AIORateLimiter):
    """AIORateLimiter with its overall bucket replaced by a SlidingWindow over every call that
    names a chat; `rate_limit_args` is a SendTerms (None: a reply's priority, no retries)."""

    def __init__(self, per_second: int = OVERALL_PER_SECOND, window: float = WINDOW_SECONDS):
        super().__init__(overall_max_rate=0, max_retries=0)  # 0: no overall bucket
        self.window = SlidingWindow(per_second, window)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: SendTerms | None,  # type: ignore[override]
    ) -> Any:
        terms = rate_limit_args or SendTerms()
        if data.get("chat_id") is None:  # not a message to a chat: no flood limit applies
            gated = callback
        else:

            async def gated(*call_args: Any, **call_kwargs: Any) -> Any:
                # Inside AIORateLimiter's group bucket and 429 wait, right before the call:
                # the window counts the moment the message really goes.
                await self.window.acquire(terms.priority)
                return await callback(*call_args, **call_kwargs)

        return await super().process_request(
            gated, args, kwargs, endpoint, data, terms.retries_on_429
        )

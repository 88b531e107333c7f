"""The bot's overall flood limit: a sliding window that never lets more than `limit` messages start
in any `window` seconds, serves replies before reminders, and survives a waiter that gives up."""

import asyncio
import bisect
import time

from bot.telegram.limits import REMINDER, REPLY, SlidingWindow, TelegramRateLimiter

LIMIT, WINDOW = 3, 0.2


def most_in_any_window(starts: list[float], window: float) -> int:
    ordered = sorted(starts)
    return max(bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered))


async def started_at(limiter: SlidingWindow, priority: int, starts: list[float]) -> None:
    await limiter.acquire(priority)
    starts.append(time.monotonic())


async def test_a_burst_goes_out_at_once_up_to_the_limit_and_never_above_it():
    limiter = SlidingWindow(LIMIT, WINDOW)
    begun = time.monotonic()
    starts: list[float] = []
    await asyncio.gather(*(started_at(limiter, REPLY, starts) for _ in range(3 * LIMIT + 1)))
    assert most_in_any_window(starts, WINDOW) == LIMIT
    # The first `limit` are not spaced out: a burst under the limit waits for nothing.
    assert sorted(starts)[LIMIT - 1] - begun < WINDOW
    # Three full windows before the tenth may start.
    assert sorted(starts)[-1] - begun >= 3 * WINDOW


async def test_a_reply_waiting_goes_before_a_reminder_that_came_first():
    limiter = SlidingWindow(LIMIT, WINDOW)
    for _ in range(LIMIT):
        await limiter.acquire(REMINDER)  # the window is full
    order: list[str] = []

    async def send(name: str, priority: int) -> None:
        await limiter.acquire(priority)
        order.append(name)

    reminder = asyncio.create_task(send("reminder", REMINDER))
    await asyncio.sleep(0)  # the reminder is queued first
    reply = asyncio.create_task(send("reply", REPLY))
    await asyncio.gather(reminder, reply)
    assert order == ["reply", "reminder"]


async def test_a_cancelled_waiter_holds_up_no_one():
    limiter = SlidingWindow(1, WINDOW)
    await limiter.acquire()
    gives_up = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    gives_up.cancel()
    starts: list[float] = []
    await asyncio.wait_for(started_at(limiter, REPLY, starts), timeout=5 * WINDOW)
    assert len(starts) == 1
    assert len(limiter._starts) == 1  # the cancelled waiter was never counted


async def test_only_messages_to_a_chat_count_against_the_window():
    limiter = TelegramRateLimiter(per_second=1, window=60)
    calls: list[str] = []

    async def call(endpoint: str) -> dict:
        calls.append(endpoint)
        return {}

    await limiter.process_request(call, ("sendMessage",), {}, "sendMessage", {"chat_id": 5}, None)
    # A second message would wait a minute; calls that name no chat go through at once.
    for endpoint in ("getUpdates", "answerCallbackQuery", "getMe"):
        await asyncio.wait_for(
            limiter.process_request(call, (endpoint,), {}, endpoint, {}, None), timeout=1
        )
    assert calls == ["sendMessage", "getUpdates", "answerCallbackQuery", "getMe"]
    second = asyncio.create_task(
        limiter.process_request(call, ("sendMessage",), {}, "sendMessage", {"chat_id": 6}, None)
    )
    await asyncio.sleep(0.05)
    assert not second.done()
    second.cancel()

"""What the Telegram door's tests share besides fixtures (those are in conftest.py): waiting for
the bot's calls to the fake Bot API, reading its buttons, a FakeTime for pacing and retry waits,
and the reminder dates of a Canadian subscriber."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from bot.bootstrap import Services
from tests.telegram_adapter.fake_bot_api import FakeBotApi

GROUP = -100123
TORONTO = ZoneInfo("America/Toronto")
# CA: training starts 3 Nov 2025 (reported); the first reminder is 14 days before, at 10:00.
FIRST_DUE = dt.datetime(2025, 10, 20, 10, 0, tzinfo=TORONTO)


async def sent_after(api: FakeBotApi, queue, count: int = 1, method: str = "sendMessage"):
    """Queue an update, then wait for `count` new calls of `method`; returns them."""
    before = len(api.requests(method))
    queue()
    await api.wait_for(method, before + count)
    return api.requests(method)[before:]


def buttons(message: dict) -> list[dict]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return [button for row in markup["inline_keyboard"] for button in row]


def callback_data(message: dict) -> list[str]:
    return [b["callback_data"] for b in buttons(message) if "callback_data" in b]


def to(api: FakeBotApi, chat_id: int) -> list[dict]:
    return [m for m in api.sent if m["chat_id"] == str(chat_id)]


def subscription(services: Services, chat_id: int):
    return services.store.subscription_for("telegram", str(chat_id))


class FakeTime:
    """A monotonic clock that sleeping moves forward; records every wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now = max(self.now, self.now + seconds)
        await asyncio.sleep(0)

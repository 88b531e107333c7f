"""The dispatcher's test doubles and helpers, shared by the service tests: a recording notifier,
a sleep that only records, a subscription in Berlin, and a loop that jumps the clock."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from bot.core.chats import ChatRef
from bot.core.clock import FixedClock
from bot.service import Dispatcher, PermanentRefusal
from bot.storage import Store

BERLIN = ZoneInfo("Europe/Berlin")
SUBSCRIBED = dt.datetime(2025, 10, 1, 12, 0, tzinfo=BERLIN)


class FakeNotifier:
    """Records what it sends, with the clock's time; refuses or fails chats as told."""

    def __init__(self, clock: FixedClock):
        self.clock = clock
        self.sent: list[tuple[ChatRef, str, dt.datetime]] = []
        self.refuse: set[str] = set()
        self.failures: list[Exception] = []  # raised one per call before anything is sent
        self.delivered = asyncio.Event()

    async def send(self, chat: ChatRef, text: str, stop_label: str = "Stop reminders") -> None:
        if chat.chat_id in self.refuse:
            raise PermanentRefusal("blocked")
        if self.failures:
            raise self.failures.pop(0)
        await asyncio.sleep(0)  # let other tasks in, as real I/O would
        self.sent.append((chat, text, self.clock.now()))
        self.delivered.set()


class RecordingSleep:
    def __init__(self):
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def subscribe(store: Store, chat_id: str = "42", created_at=SUBSCRIBED, **changes):
    settings = {"region": "DE", "language": "en", "timezone": "Europe/Berlin", "checkup": "off"}
    return store.add_subscription(
        "terminal", chat_id, created_at=created_at, **(settings | changes)
    )


async def run_until(dispatcher: Dispatcher, clock: FixedClock, until: dt.datetime) -> None:
    """What run_forever does, with the clock jumping instead of sleeping: pass, then move to the
    next due reminder (at most a day ahead)."""
    while clock.now() < until:
        await dispatcher.run_once()
        next_due = dispatcher.store.next_due_at()
        step = clock.now() + dt.timedelta(days=1)
        clock.set(min(step, next_due) if next_due and next_due > clock.now() else step)

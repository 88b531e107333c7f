"""Two replicas on one Telegram token: two dispatchers, each with its own database connection,
its own bot and its own Pacer, against a fake Bot API that answers 429 to any message beyond 30
in one second, as Telegram does. Real time: the Pacers sleep for real. Half-way the sending
replica is stopped (a rolling restart) and the other takes over. Every reminder arrives exactly
once and none is failed: one replica sends at a time, and a 429 is waited out, not counted."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from bot.core.clock import FixedClock
from bot.core.knowledge import KnowledgeBase
from bot.service import Dispatcher, schedule_reminders
from bot.service.dispatcher import PassReport, stop_dispatcher
from bot.storage import open_store
from bot.telegram.notifier import TelegramNotifier, reminder_bot
from bot.telegram.settings import TelegramSettings
from tests.databases import Database
from tests.telegram_adapter.fake_bot_api import FakeBotApi

pytestmark = pytest.mark.slow

REMINDERS = 240  # about 8 s at Telegram's 30 a second
LIMIT = 30  # messages the fake accepts in any one second
DUE = dt.datetime(2025, 11, 3, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # one reminder each
TIMEOUT = 60.0


class Sent:
    """A PassObserver: what one dispatcher's passes sent and failed."""

    def __init__(self) -> None:
        self.sent = 0
        self.failed = 0
        self.rate_limited = 0

    def observe_pass(self, report: PassReport) -> None:
        self.sent += report.sent
        self.failed += report.failed
        self.rate_limited += report.rate_limited


async def test_two_replicas_on_one_token_keep_to_its_limit_and_lose_nothing(
    database: Database, kb: KnowledgeBase
):
    setup = database.open()
    try:
        for n in range(REMINDERS):
            setup.add_subscription(
                "telegram",
                str(5000 + n),
                region="DE",
                language="en",
                timezone="Europe/Berlin",
                checkup="off",
                created_at=DUE - dt.timedelta(hours=1),
            )
        assert schedule_reminders(setup, kb, DUE + dt.timedelta(seconds=1)) == REMINDERS
    finally:
        setup.close()
    api = await FakeBotApi(flood_limit=LIMIT).start()
    settings = TelegramSettings(token=api.token, api_base_url=api.base_url)
    stores = [open_store(database.url) for _ in range(2)]
    observers = [Sent(), Sent()]
    clock = FixedClock(DUE)
    try:
        async with reminder_bot(settings) as bot_a, reminder_bot(settings) as bot_b:
            dispatchers = [
                Dispatcher(
                    store,
                    TelegramNotifier(bot),
                    kb,
                    clock,
                    worker=f"replica-{n}",
                    batch_size=50,
                    min_sleep=0.05,
                    metrics=observer,
                )
                for n, (store, bot, observer) in enumerate(
                    zip(stores, (bot_a, bot_b), observers, strict=True)
                )
            ]
            tasks = [asyncio.create_task(d.run_forever()) for d in dispatchers]
            deadline = asyncio.get_running_loop().time() + TIMEOUT
            stopped = None
            while api.delivered < REMINDERS:
                assert asyncio.get_running_loop().time() < deadline, "not all delivered in time"
                if stopped is None and api.delivered >= REMINDERS // 2:
                    # The replica sending now is restarted; the other takes over.
                    sender = next(d for d in dispatchers if d.sender_leases)
                    stopped = dispatchers.index(sender)
                    await stop_dispatcher(sender, tasks[stopped], grace=10.0)
                await asyncio.sleep(0.05)
            for dispatcher, task in zip(dispatchers, tasks, strict=True):
                if not task.done():
                    await stop_dispatcher(dispatcher, task, grace=10.0)
        counts = Counter(str(message["chat"]["id"]) for message in api.messages)
        assert set(counts) == {str(5000 + n) for n in range(REMINDERS)}
        assert set(counts.values()) == {1}  # each exactly once
        stats = stores[0].stats()
        assert (stats["sent"], stats["failed"], stats["scheduled"]) == (REMINDERS, 0, 0)
        assert sum(o.failed for o in observers) == 0
        assert all(o.sent > 0 for o in observers)  # both sent: one, then the other
        # One sender at a time, paced under the limit: the fake's 429s are rare (a stalled
        # event loop can bunch a few requests), and each one was waited out.
        assert api.flood_answers == sum(o.rate_limited for o in observers) <= 3
    finally:
        for store in stores:
            store.close()
        await api.stop()

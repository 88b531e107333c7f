"""Two dispatchers, each with its own connection, against one PostgreSQL database: together they
schedule and deliver 10,000 reminders, each exactly once (FOR UPDATE SKIP LOCKED claims)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from bot.core.clock import FixedClock
from bot.core.knowledge import KnowledgeBase
from bot.service import Dispatcher
from bot.storage import open_store
from tests.databases import Database
from tests.service.fakes import FakeNotifier, RecordingSleep, subscribe

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SUBSCRIBERS = 10_000
DUE = dt.datetime(2025, 11, 3, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # one reminder each


async def test_two_dispatchers_deliver_ten_thousand_reminders_exactly_once(
    postgres_database: Database, kb: KnowledgeBase
):
    setup = postgres_database.open()
    try:
        for n in range(SUBSCRIBERS):
            subscribe(setup, str(n), created_at=DUE - dt.timedelta(hours=1))
    finally:
        setup.close()
    clock = FixedClock(DUE)
    notifier = FakeNotifier(clock)
    stores = [open_store(postgres_database.url) for _ in range(2)]
    try:
        dispatchers = [
            Dispatcher(store, notifier, kb, clock, worker=f"w{i}", sleep=RecordingSleep())
            for i, store in enumerate(stores)
        ]
        # Both schedule the same reminders at once (the dedupe key keeps one of each), then
        # claim and send side by side.
        reports = await asyncio.wait_for(
            asyncio.gather(*(d.run_once() for d in dispatchers)), timeout=60
        )
        counts = Counter(chat.chat_id for chat, _text, _at in notifier.sent)
        assert len(counts) == SUBSCRIBERS and set(counts.values()) == {1}
        assert sum(r.scheduled for r in reports) == SUBSCRIBERS
        assert sum(r.sent for r in reports) == SUBSCRIBERS
        assert all(r.sent > 0 for r in reports)  # both took their share
        stats = stores[0].stats()
        assert (stats["sent"], stats["scheduled"], stats["late"]) == (SUBSCRIBERS, 0, 0)
        assert (await dispatchers[1].run_once()).claimed == 0
    finally:
        for store in stores:
            store.close()

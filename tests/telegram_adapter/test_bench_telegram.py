"""bench/bench_telegram.py runs as shipped: a few reminders here, so it cannot silently send
nothing again (it did, once the first reminder moved to 20 October); its figures are measured by
hand, never in tests."""

from __future__ import annotations

import pytest

from tests.conftest import load_bench
from tests.telegram_adapter.fake_bot_api import FakeBotApi

pytestmark = pytest.mark.slow  # builds the whole service set, as the bench does


async def test_the_telegram_bench_delivers_every_reminder_it_schedules():
    bench = load_bench("bench_telegram")
    api = await FakeBotApi(flood_limit=30).start()
    try:
        result = await bench.broadcast(api, 4, concurrent=False)
    finally:
        await api.stop()
    assert result["report"]["claimed"] == 4 and result["report"]["sent"] == 4
    assert api.delivered == 4 and api.flood_answers == 0

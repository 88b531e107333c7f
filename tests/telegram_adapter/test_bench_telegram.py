"""bench/bench_telegram.py runs as shipped: a few reminders here, so it cannot silently send
nothing again (it did, once the first reminder moved to 20 October); its figures are measured by
hand, never in tests."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import ROOT
from tests.telegram_adapter.fake_bot_api import FakeBotApi

pytestmark = pytest.mark.slow  # builds the whole service set, as the bench does


def load_bench():
    spec = importlib.util.spec_from_file_location(
        "bench_telegram", ROOT / "bench/bench_telegram.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_telegram_bench_delivers_every_reminder_it_schedules():
    bench = load_bench()
    api = await FakeBotApi(flood_limit=30).start()
    try:
        result = await bench.broadcast(api, 4, concurrent=False)
    finally:
        await api.stop()
    assert result["report"]["claimed"] == 4 and result["report"]["sent"] == 4
    assert api.delivered == 4 and api.flood_answers == 0

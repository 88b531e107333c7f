"""SIGTERM on a running `optout-bot run --only telegram` in the middle of a broadcast: it stops
taking updates, lets the sends in flight finish, records them, releases the other claims, closes
the store and exits 0 within 10 seconds."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import sqlite3
import sys
import time

import pytest

from bot.storage import open_store
from tests.conftest import KNOWLEDGE_DIR, ROOT
from tests.telegram_adapter.fake_bot_api import FakeBotApi

# Subprocesses or large volumes: outside the inner loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

SUBSCRIBERS = 300
EXIT_LIMIT = 10.0


@pytest.fixture
async def slow_api():
    server = await FakeBotApi().start()
    server.latency = 0.3  # each sendMessage, so the broadcast is still going at SIGTERM
    yield server
    await server.stop()


def subscribe_many(path) -> None:
    store = open_store(f"sqlite:///{path}")
    try:
        for n in range(SUBSCRIBERS):
            store.add_subscription(
                "telegram",
                str(3000 + n),
                region="CA",
                language="en",
                timezone="America/Toronto",
                checkup="off",
                created_at=dt.datetime(2025, 10, 1, tzinfo=dt.UTC),
            )
    finally:
        store.close()


def reminder_rows(path, now: dt.datetime) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        leased = conn.execute(
            "SELECT COUNT(*) FROM reminders WHERE lease_until IS NOT NULL"
        ).fetchone()[0]
        claimed = conn.execute(
            "SELECT COUNT(*) FROM reminders WHERE state = 'scheduled' AND claimed_by IS NOT NULL"
        ).fetchone()[0]
        sent = conn.execute("SELECT COUNT(*) FROM reminders WHERE state = 'sent'").fetchone()[0]
        micros = (now - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
        due = conn.execute(
            "SELECT COUNT(*) FROM reminders WHERE state = 'scheduled' AND due_at <= ?", (micros,)
        ).fetchone()[0]
    finally:
        conn.close()
    return {"leased": leased, "claimed": claimed, "sent": sent, "due": due}


async def test_sigterm_mid_broadcast_exits_cleanly_and_leaves_no_lease(slow_api, tmp_path):
    database = tmp_path / "optout-bot.db"
    subscribe_many(database)
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": slow_api.token,
        "TELEGRAM_API_BASE_URL": slow_api.base_url,
        "OPTOUT_KNOWLEDGE_DIR": str(KNOWLEDGE_DIR),
        "OPTOUT_DATA_DIR": str(tmp_path),
    }
    for name in ("TELEGRAM_WEBHOOK_URL", "OPTOUT_DATABASE_URL", "DISCORD_BOT_TOKEN"):
        env.pop(name, None)
    # Seconds after 10:00 in Toronto on 19 October: every subscriber's 14-day reminder is due.
    now = "2025-10-20T14:00:05+00:00"
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot.cli", "run", "--only", "telegram", "--now", now),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await slow_api.wait_for("sendMessage", count=20, timeout=60)
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        _out, err = await asyncio.wait_for(process.communicate(), EXIT_LIMIT)
        took = time.monotonic() - signalled
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    assert process.returncode == 0, err.decode()
    assert took < EXIT_LIMIT
    rows = reminder_rows(database, dt.datetime.fromisoformat(now))
    assert slow_api.delivered < SUBSCRIBERS, "the broadcast finished before SIGTERM"
    assert rows["leased"] == 0 and rows["claimed"] == 0
    # Every message Telegram accepted is recorded as sent; the rest wait for the next start.
    assert rows["sent"] == slow_api.delivered
    assert rows["due"] == SUBSCRIBERS - slow_api.delivered

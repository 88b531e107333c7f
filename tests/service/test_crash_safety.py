"""Crash safety: a dispatcher in a subprocess is killed with SIGKILL in the middle of a batch of
2,000 due reminders, then restarted (taking over the killed one's sender lease once it has run
out). Every reminder is delivered, and the only ones delivered twice are those that were in
flight at the kill: sent, not yet recorded, never more than RECORD_STEP (5). SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.knowledge import KnowledgeBase
from bot.service import schedule_reminders
from bot.service.dispatcher import RECORD_STEP, SENDER_LEASE
from tests.databases import Database
from tests.service.fakes import subscribe

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)"),
]

WORKER = Path(__file__).with_name("crash_worker.py")
ROOT = WORKER.parents[2]
REMINDERS = 2000
BATCH = 200
KILL_AFTER = 300  # deliveries seen before the kill: half-way through the second batch
LEASE = dt.timedelta(seconds=60)
DUE = dt.datetime(2025, 11, 3, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # one reminder each
TIMEOUT = 60.0


def start_worker(database: Database, out: Path, at: dt.datetime) -> subprocess.Popen:
    command = [sys.executable, str(WORKER), database.url, str(out), "--at", at.isoformat()]
    command += ["--batch-size", str(BATCH), "--lease-seconds", str(LEASE.total_seconds())]
    command += ["--pause", "0.001"]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def delivered(out: Path) -> list[str]:
    return out.read_text(encoding="utf-8").splitlines() if out.exists() else []


def recorded_as_sent(database: Database) -> set[str]:
    query = (
        "SELECT s.chat_id FROM reminders r JOIN subscriptions s ON s.id = r.subscription_id"
        " WHERE r.state = 'sent'"
    )
    if database.kind == "sqlite":
        conn = sqlite3.connect(database.url.removeprefix("sqlite:///"))
        try:
            return {row[0] for row in conn.execute(query)}
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(database.url) as conn:
        return {row[0] for row in conn.execute(query)}


def finish(process: subprocess.Popen) -> str:
    try:
        out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"the dispatcher did not finish within {TIMEOUT:.0f} s")
    assert process.returncode == 0, err
    return out


def test_a_killed_dispatcher_loses_nothing_and_repeats_only_what_was_in_flight(
    database: Database, kb: KnowledgeBase, tmp_path: Path
):
    store = database.open()
    try:
        for n in range(REMINDERS):
            subscribe(store, f"r{n:04}", created_at=DUE - dt.timedelta(hours=1))
        assert schedule_reminders(store, kb, DUE + dt.timedelta(seconds=1)) == REMINDERS
    finally:
        store.close()
    out = tmp_path / "delivered.txt"

    first = start_worker(database, out, DUE)
    deadline = time.monotonic() + TIMEOUT
    try:
        while len(delivered(out)) < KILL_AFTER:
            if first.poll() is not None:
                pytest.fail(f"the dispatcher ended before the kill: {first.communicate()[1]}")
            if time.monotonic() > deadline:
                pytest.fail(f"fewer than {KILL_AFTER} deliveries within {TIMEOUT:.0f} s")
            time.sleep(0.002)
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=TIMEOUT)
    assert first.returncode == -signal.SIGKILL

    before_restart = delivered(out)
    in_flight = set(before_restart) - recorded_as_sent(database)
    assert len(before_restart) < REMINDERS  # the kill came in the middle of the run
    assert len(in_flight) <= RECORD_STEP  # sent, not recorded: what the restart repeats

    # Restarted once the dead worker's leases (its claims', its sender's) have run out (the
    # clock is fixed, not real).
    restart = DUE + LEASE + dt.timedelta(minutes=1)
    assert restart > DUE + SENDER_LEASE
    finish(start_worker(database, out, restart))

    counts = Counter(delivered(out))
    assert set(counts) == {f"r{n:04}" for n in range(REMINDERS)}  # nothing lost
    assert max(counts.values()) <= 2
    assert {chat for chat, times in counts.items() if times > 1} == in_flight
    assert recorded_as_sent(database) == set(counts)

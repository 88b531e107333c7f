"""Reminder engine at scale: 100,000 subscribers across regions, on SQLite and on PostgreSQL.

Run by hand, never in tests: `.venv/bin/python bench/bench_reminders.py` (PostgreSQL from
OPTOUT_TEST_POSTGRES_URL, or --postgres-url; skipped when neither is set). Each backend runs in a
process of its own so that its peak memory (ru_maxrss) is its own. For each it prints:

- schedule: the first pass over every subscription (settling known events, every reminder up to
  the 35-day horizon), and a repeat pass that finds nothing new (what every later pass costs);
- dispatch: every reminder sent to a no-op notifier, the clock jumping from one due time to the
  next as run_forever would wait, in reminders per second;
- peak memory of the whole process, in MB, and how much of it was there before the first
  subscriber (code, knowledge base, and the language data the first message loads).

The subscribers are written with one bulk statement (setup is not what is measured); SQLite
uses a temporary file, PostgreSQL a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.chats import ChatRef
from bot.core.clock import FixedClock
from bot.core.knowledge_loader import load_knowledge
from bot.core.reminders import Subscription, reminder_text, reminders_between
from bot.service.dispatcher import SCHEDULE_HORIZON, Dispatcher, schedule_reminders
from bot.settings import benchmark_postgres_url, knowledge_dir
from bot.storage import open_store

SUBSCRIBERS = 100_000
CREATED = dt.datetime(2025, 10, 1, 0, 0, tzinfo=dt.UTC)
START = dt.datetime(2025, 10, 1, 12, 0, tzinfo=dt.UTC)  # the horizon reaches past 3 Nov
REGIONS = [
    ("DE", "Europe/Berlin"), ("FR", "Europe/Paris"), ("GB", "Europe/London"),
    ("NO", "Europe/Oslo"), ("CH", "Europe/Zurich"), ("CA", "America/Toronto"),
    ("HK", "Asia/Hong_Kong"), ("US", "America/New_York"), ("US", "America/Los_Angeles"),
    ("BR", "America/Sao_Paulo"), ("IN", "Asia/Kolkata"), ("JP", "Asia/Tokyo"),
    ("AU", "Australia/Sydney"), ("ZA", "Africa/Johannesburg"),
]  # fmt: skip
CHECKUPS = ["monthly", "off", "quarterly", "off", "off", "off", "off", "off"]


class NoopNotifier:
    """The dispatcher's Notifier port, delivering nowhere: only the bot's own cost is measured.
    It names an account, as the real ones do, so the sender lease is part of what is measured."""

    sender_keys: ClassVar[dict[str, str]] = {"bench": "bench:1"}

    async def send(self, chat: ChatRef, text: str, stop_label: str = "Stop reminders") -> None:
        return None


def subscriber_rows(count: int) -> list[tuple]:
    rows = []
    for n in range(count):
        region, zone = REGIONS[n % len(REGIONS)]
        rows.append(("bench", str(n), region, "en", zone, CHECKUPS[n % len(CHECKUPS)]))
    return rows


def setup_sqlite(path: Path, count: int) -> str:
    url = f"sqlite:///{path}"
    open_store(url).close()  # migrated
    conn = sqlite3.connect(path)
    micros = (CREATED - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
    with conn:
        conn.executemany(
            "INSERT INTO subscriptions (platform, chat_id, region, language, timezone, checkup,"
            " created_at, active) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
            [(*row, micros) for row in subscriber_rows(count)],
        )
    conn.close()
    return url


def setup_postgres(url: str, count: int) -> None:
    import psycopg

    open_store(url).close()  # migrated
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        copy = "COPY subscriptions (platform, chat_id, region, language, timezone, checkup, created_at) FROM STDIN"
        with cursor.copy(copy) as writer:
            for row in subscriber_rows(count):
                writer.write_row((*row, CREATED))


async def dispatch_all(store, kb, batch_size: int) -> tuple[int, float, dict[str, int]]:
    """Send everything, the clock jumping to each next due time; returns (claimed, seconds)."""
    clock = FixedClock(START)
    dispatcher = Dispatcher(store, NoopNotifier(), kb, clock, batch_size=batch_size)
    totals: dict[str, int] = {}
    started = time.perf_counter()
    while True:
        report = await dispatcher.run_once(schedule=False)
        for name, value in report.as_dict().items():
            totals[name] = totals.get(name, 0) + value
        next_due = store.next_due_at()
        if next_due is None:
            break
        clock.set(max(next_due, clock.now()))
    return totals["claimed"], time.perf_counter() - started, totals


def fixed_cost_mb(kb) -> int:
    """Peak memory once a first reminder is rendered: the language and region data it loads
    are the same for one subscriber or a million."""
    sub = Subscription(0, "bench", "0", "DE", "en", "Europe/Berlin", "off", CREATED)
    [first, *_] = reminders_between(sub, kb, CREATED, START + SCHEDULE_HORIZON)
    reminder_text(first, sub, kb, first.due_at)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_backend(backend: str, count: int, batch_size: int, postgres_url: str | None) -> dict:
    kb = load_knowledge(knowledge_dir())
    fixed_mb = fixed_cost_mb(kb)
    cleanup = None
    if backend == "sqlite":
        folder = tempfile.TemporaryDirectory(prefix="bench-reminders-")
        url = setup_sqlite(Path(folder.name) / "bench.db", count)
        cleanup = folder.cleanup
    else:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
        joiner = "&" if "?" in postgres_url else "?"
        url = f"{postgres_url}{joiner}options={quote(f'-csearch_path={schema}')}"
        setup_postgres(url, count)

        def cleanup() -> None:
            with psycopg.connect(postgres_url, autocommit=True) as admin:
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')

    store = open_store(url)
    try:
        until = START + SCHEDULE_HORIZON
        t0 = time.perf_counter()
        scheduled = schedule_reminders(store, kb, until, now=START)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = schedule_reminders(store, kb, until, now=START)
        repeat = time.perf_counter() - t0
        claimed, seconds, totals = asyncio.run(dispatch_all(store, kb, batch_size))
        stats = store.stats()
    finally:
        store.close()
        cleanup()
    return {
        "backend": backend,
        "subscribers": count,
        "reminders": scheduled,
        "schedule_s": round(first, 2),
        "repeat_schedule_s": round(repeat, 2),
        "repeat_new": again,
        "dispatched": claimed,
        "dispatch_s": round(seconds, 2),
        "reminders_per_s": round(claimed / seconds),
        "outcomes": {k: totals[k] for k in ("sent", "late", "skipped", "failed", "refused")},
        "left_scheduled": stats["scheduled"],
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "fixed_mb": fixed_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--subscribers", type=int, default=SUBSCRIBERS)
    parser.add_argument("--batch-size", type=int, default=100)  # the Dispatcher default
    parser.add_argument("--postgres-url", default=benchmark_postgres_url())
    parser.add_argument("--json", action="store_true", help="one JSON line (used per process)")
    args = parser.parse_args()
    if args.backend != "both":
        result = run_backend(args.backend, args.subscribers, args.batch_size, args.postgres_url)
        print(json.dumps(result) if args.json else json.dumps(result, indent=2))
        return
    backends = ["sqlite"] + (["postgres"] if args.postgres_url else [])
    if not args.postgres_url:
        print("PostgreSQL skipped: set OPTOUT_TEST_POSTGRES_URL or pass --postgres-url")
    for backend in backends:
        command = [sys.executable, __file__, "--backend", backend, "--json"]
        command += ["--subscribers", str(args.subscribers), "--batch-size", str(args.batch_size)]
        if args.postgres_url:
            command += ["--postgres-url", args.postgres_url]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        r = json.loads(output.strip().splitlines()[-1])
        print(
            f"{r['backend']:9} {r['subscribers']:,} subscribers, {r['reminders']:,} reminders: "
            f"schedule {r['schedule_s']:.1f} s (repeat pass {r['repeat_schedule_s']:.1f} s), "
            f"dispatch {r['reminders_per_s']:,} reminders/s ({r['dispatched']:,} in "
            f"{r['dispatch_s']:.1f} s; {r['outcomes']}), peak {r['peak_mb']} MB "
            f"({r['fixed_mb']} MB of it before the first subscriber: code and language data)"
        )


if __name__ == "__main__":
    main()

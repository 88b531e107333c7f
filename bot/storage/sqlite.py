"""The embedded store: one SQLite file in WAL mode, safe to share between threads of one process.

Times are integers (microseconds since 1970, UTC) and known events a JSON text; every write is a
BEGIN IMMEDIATE transaction under the store's lock. The SQL it shares with PostgreSQL is in
bot.storage.sql; here are the reminders' schedule, claims, records and next due time.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.core.reminders import Reminder, Subscription
from bot.storage.base import Claim, Outcome
from bot.storage.migrations import migrate_sqlite
from bot.storage.sql import REMINDER_COLUMNS, SUBSCRIPTION_COLUMNS, SqlReads, SqlWrites

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class SqliteStore(SqlReads, SqlWrites):
    PARAM = "?"
    ACTIVE = "active = 1"
    GREATEST = "MAX"
    KNOWN = "?"

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: transactions are opened explicitly, BEGIN IMMEDIATE where we write.
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        migrate_sqlite(self._conn)

    # --- reminders: the hot path, in SQLite's way --------------------------------------------

    def schedule(self, reminders: Iterable[Reminder]) -> int:
        rows = [
            (
                r.subscription_id,
                r.subject,
                r.offset_days,
                r.kind,
                _micros(r.due_at),
                _micros(r.expires_at),
            )
            for r in reminders
        ]
        if not rows:
            return 0
        with self._write() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT INTO reminders (subscription_id, subject, offset_days, kind, due_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (subscription_id, subject, offset_days) DO NOTHING",
                rows,
            )
            return conn.total_changes - before

    def claim_due(
        self,
        now: dt.datetime,
        *,
        limit: int,
        lease: dt.timedelta,
        worker: str,
        platforms: frozenset[str] | None = None,
    ) -> list[Claim]:
        moment = _micros(now)
        only, names = _platform_filter(platforms)
        with self._write() as conn:
            rows = conn.execute(
                "UPDATE reminders SET lease_until = ?, claimed_by = ?, attempts = attempts + 1"
                " WHERE id IN (SELECT r.id FROM reminders r"
                " JOIN subscriptions s ON s.id = r.subscription_id"
                " WHERE r.state = 'scheduled' AND r.due_at <= ?"
                f" AND (r.lease_until IS NULL OR r.lease_until <= ?) AND s.active = 1{only}"
                " ORDER BY r.due_at, r.id LIMIT ?)"
                f" RETURNING {REMINDER_COLUMNS}",
                (_micros(now + lease), worker, moment, moment, *names, limit),
            ).fetchall()
            subscriptions = self._subscriptions_by_id(conn, {row[1] for row in rows})
        claims = [_claim(row, subscriptions[row[1]]) for row in rows]
        return sorted(claims, key=lambda c: (c.reminder.due_at, c.id))

    def record(self, outcomes: Iterable[Outcome], at: dt.datetime) -> None:
        rows = [(o.state.value, _micros(at), o.reminder_id) for o in outcomes]
        if not rows:
            return
        with self._write() as conn:
            conn.executemany(
                "UPDATE reminders SET state = ?, finished_at = ?, lease_until = NULL"
                " WHERE id = ? AND state = 'scheduled'",
                rows,
            )

    def next_due_at(self, platforms: frozenset[str] | None = None) -> dt.datetime | None:
        only, names = _platform_filter(platforms)
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(r.due_at) FROM reminders r JOIN subscriptions s"
                f" ON s.id = r.subscription_id WHERE r.state = 'scheduled' AND s.active = 1{only}",
                names,
            ).fetchone()
        return _moment(row[0]) if row and row[0] is not None else None

    # --- helpers ---------------------------------------------------------------------------------

    def _write(self) -> _Transaction:
        return _Transaction(self._conn, self._lock)

    _transaction = _write  # one statement or several: each write is a transaction

    @staticmethod
    def _subscriptions_by_id(conn: sqlite3.Connection, ids: set[int]) -> dict[int, Subscription]:
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        rows = conn.execute(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id IN ({marks})", tuple(ids)
        ).fetchall()
        return {row[0]: _subscription(row) for row in rows}


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT under the store's lock: writers queue instead of deadlocking."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock):
        self._conn = conn
        self._lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise
        return self._conn

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> None:
        try:
            self._conn.execute("COMMIT" if kind is None else "ROLLBACK")
        finally:
            self._lock.release()


def _micros(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


def _moment(micros: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=micros)


def _subscription(row: tuple) -> Subscription:
    return Subscription(
        id=row[0],
        platform=row[1],
        chat_id=row[2],
        region=row[3],
        language=row[4],
        timezone=row[5],
        checkup=row[6],
        created_at=_moment(row[7]),
        active=bool(row[8]),
        known_events=_known_set(row[9]),
        language_chosen=bool(row[10]),
        set_up_by=row[11],
    )


def _known_text(event_ids: Iterable[str]) -> str:
    return json.dumps(sorted(set(event_ids)))


@lru_cache(maxsize=256)
def _known_set(text: str | None) -> frozenset[str] | None:
    # Most subscriptions share one text: one set for all of them.
    return None if text is None else frozenset(json.loads(text))


def _reminder(row: tuple) -> Reminder:
    return Reminder(
        subscription_id=row[1],
        kind=row[2],
        subject=row[3],
        offset_days=row[4],
        due_at=_moment(row[5]),
        expires_at=_moment(row[6]),
    )


def _claim(row: tuple, subscription: Subscription) -> Claim:
    return Claim(id=row[0], reminder=_reminder(row), subscription=subscription, attempts=row[7])


def _platform_filter(platforms: frozenset[str] | None) -> tuple[str, tuple[str, ...]]:
    """An SQL condition on s.platform and its parameters; none when every platform is wanted."""
    if platforms is None:
        return "", ()
    names = tuple(sorted(platforms))
    if not names:
        return " AND 0", ()
    return f" AND s.platform IN ({', '.join('?' * len(names))})", names


SqliteStore._subscription_from_row = staticmethod(_subscription)
SqliteStore._reminder_from_row = staticmethod(_reminder)
SqliteStore._time_to_db = staticmethod(_micros)
SqliteStore._time_from_db = staticmethod(_moment)
SqliteStore._known_to_db = staticmethod(_known_text)

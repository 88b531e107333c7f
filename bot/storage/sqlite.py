"""The embedded store: one SQLite file in WAL mode, safe to share between threads of one process."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.core.reminders import Cadence, Reminder, Subscription
from bot.core.session import Session
from bot.storage.base import Claim, Gap, Outcome
from bot.storage.migrations import migrate_sqlite
from bot.storage.sql import (
    HOLD_SENDER,
    RELEASE_SENDER,
    REMINDER_COLUMNS,
    SUBSCRIPTION_COLUMNS,
    SqlReads,
)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class SqliteStore(SqlReads):
    PARAM = "?"
    ACTIVE = "active = 1"

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

    # --- subscriptions ---------------------------------------------------------------------------

    def add_subscription(
        self,
        platform: str,
        chat_id: str,
        *,
        region: str,
        language: str,
        timezone: str,
        checkup: Cadence,
        created_at: dt.datetime,
        known_events: Iterable[str] | None = None,
        set_up_by: str | None = None,
    ) -> Subscription:
        known = None if known_events is None else _known_text(known_events)
        with self._write() as conn:
            row = conn.execute(
                "INSERT INTO subscriptions (platform, chat_id, region, language, timezone, checkup,"
                " created_at, active, known_events, set_up_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"
                " ON CONFLICT (platform, chat_id) DO UPDATE SET region = excluded.region,"
                " language = excluded.language, timezone = excluded.timezone,"
                " checkup = excluded.checkup, created_at = excluded.created_at, active = 1,"
                " known_events = excluded.known_events, set_up_by = excluded.set_up_by"
                f" RETURNING {SUBSCRIPTION_COLUMNS}",
                (
                    platform,
                    chat_id,
                    region,
                    language,
                    timezone,
                    checkup,
                    _micros(created_at),
                    known,
                    set_up_by,
                ),
            ).fetchone()
            conn.execute(
                "DELETE FROM reminders WHERE subscription_id = ? AND state = 'scheduled'", (row[0],)
            )
        return _subscription(row)

    def subscription_for(self, platform: str, chat_id: str) -> Subscription | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE platform = ? AND chat_id = ?",
                (platform, chat_id),
            ).fetchone()
        return _subscription(row) if row else None

    def update_subscription(
        self,
        subscription_id: int,
        *,
        region: str | None = None,
        language: str | None = None,
        timezone: str | None = None,
        checkup: Cadence | None = None,
        language_chosen: bool | None = None,
    ) -> Subscription:
        changes = {
            "region": region,
            "language": language,
            "language_chosen": language_chosen,
            "timezone": timezone,
            "checkup": checkup,
        }
        changes = {name: value for name, value in changes.items() if value is not None}
        with self._write() as conn:
            if changes:
                assignments = ", ".join(f"{name} = ?" for name in changes)
                params = [*changes.values()]
                if region is not None:  # a new region is a new start; SET reads the old one
                    assignments += ", known_events = CASE WHEN region = ? THEN known_events END"
                    params.append(region)
                conn.execute(
                    f"UPDATE subscriptions SET {assignments} WHERE id = ?",
                    (*params, subscription_id),
                )
                conn.execute(
                    "DELETE FROM reminders WHERE subscription_id = ? AND state = 'scheduled'",
                    (subscription_id,),
                )
            row = conn.execute(
                f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?",
                (subscription_id,),
            ).fetchone()
        if row is None:
            raise LookupError(subscription_id)
        return _subscription(row)

    def deactivate(self, subscription_id: int) -> None:
        with self._write() as conn:
            conn.execute("UPDATE subscriptions SET active = 0 WHERE id = ?", (subscription_id,))
            conn.execute(
                "DELETE FROM reminders WHERE subscription_id = ? AND state = 'scheduled'",
                (subscription_id,),
            )

    def forget(self, platform: str, chat_id: str) -> int:
        with self._write() as conn:
            conn.execute(
                "DELETE FROM reminders WHERE subscription_id IN"
                " (SELECT id FROM subscriptions WHERE platform = ? AND chat_id = ?)",
                (platform, chat_id),
            )
            conn.execute(
                "DELETE FROM sessions WHERE platform = ? AND chat_id = ?", (platform, chat_id)
            )
            # Channels this chat set up keep their reminders, without it as their setter.
            conn.execute(
                "UPDATE subscriptions SET set_up_by = NULL WHERE platform = ? AND set_up_by = ?",
                (platform, chat_id),
            )
            cursor = conn.execute(
                "DELETE FROM subscriptions WHERE platform = ? AND chat_id = ?", (platform, chat_id)
            )
            return cursor.rowcount

    def settle_known_events(self, event_ids: Iterable[str]) -> int:
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE subscriptions SET known_events = ? WHERE known_events IS NULL",
                (_known_text(event_ids),),
            )
            return cursor.rowcount

    # --- reminders -------------------------------------------------------------------------------

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

    def release(self, worker: str) -> int:
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE reminders SET lease_until = NULL, claimed_by = NULL"
                " WHERE claimed_by = ? AND state = 'scheduled' AND lease_until IS NOT NULL",
                (worker,),
            )
            return cursor.rowcount

    def next_due_at(self, platforms: frozenset[str] | None = None) -> dt.datetime | None:
        only, names = _platform_filter(platforms)
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(r.due_at) FROM reminders r JOIN subscriptions s"
                f" ON s.id = r.subscription_id WHERE r.state = 'scheduled' AND s.active = 1{only}",
                names,
            ).fetchone()
        return _moment(row[0]) if row and row[0] is not None else None

    def hold_sender(self, key: str, worker: str, now: dt.datetime, lease: dt.timedelta) -> bool:
        with self._write() as conn:
            row = conn.execute(
                HOLD_SENDER, (key, worker, _micros(now + lease), _micros(now))
            ).fetchone()
        return row is not None

    def release_sender(self, key: str, worker: str) -> None:
        with self._write() as conn:
            conn.execute(RELEASE_SENDER, (key, worker))

    # --- conversation context --------------------------------------------------------------

    def load_session(self, platform: str, chat_id: str) -> Session | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT region, intent, awaiting_region_for, updated_at, language,"
                " chosen_language, pending FROM sessions"
                " WHERE platform = ? AND chat_id = ?",
                (platform, chat_id),
            ).fetchone()
        if row is None:
            return None
        return Session(
            region=row[0],
            intent=row[1],
            awaiting_region_for=row[2],
            updated_at=_moment(row[3]),
            language=row[4],
            chosen_language=row[5],
            pending=row[6],
        )

    def save_session(self, platform: str, chat_id: str, session: Session) -> None:
        if session.updated_at is None:
            raise ValueError("a stored session needs updated_at")
        with self._write() as conn:
            conn.execute(
                "INSERT INTO sessions (platform, chat_id, region, intent, awaiting_region_for,"
                " updated_at, language, chosen_language, pending)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (platform, chat_id) DO UPDATE SET region = excluded.region,"
                " intent = excluded.intent, awaiting_region_for = excluded.awaiting_region_for,"
                " updated_at = excluded.updated_at, language = excluded.language,"
                " chosen_language = excluded.chosen_language, pending = excluded.pending",
                (
                    platform,
                    chat_id,
                    session.region,
                    session.intent,
                    session.awaiting_region_for,
                    _micros(session.updated_at),
                    session.language,
                    session.chosen_language,
                    session.pending,
                ),
            )

    def delete_session(self, platform: str, chat_id: str) -> None:
        with self._write() as conn:
            conn.execute(
                "DELETE FROM sessions WHERE platform = ? AND chat_id = ?", (platform, chat_id)
            )

    def expire_sessions(self, before: dt.datetime) -> int:
        with self._write() as conn:
            cursor = conn.execute("DELETE FROM sessions WHERE updated_at < ?", (_micros(before),))
            return cursor.rowcount

    # --- unanswered questions --------------------------------------------------------------

    def note_unanswered(self, text: str, at: dt.datetime) -> None:
        moment = _micros(at)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO unanswered (text, count, first_seen, last_seen) VALUES (?, 1, ?, ?)"
                " ON CONFLICT (text) DO UPDATE SET count = count + 1,"
                " last_seen = MAX(last_seen, excluded.last_seen)",
                (text, moment, moment),
            )

    def purge_unanswered(self, before: dt.datetime) -> int:
        with self._write() as conn:
            cursor = conn.execute("DELETE FROM unanswered WHERE first_seen < ?", (_micros(before),))
            return cursor.rowcount

    def unanswered(self, limit: int = 20) -> list[Gap]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT text, count, first_seen, last_seen FROM unanswered"
                " ORDER BY count DESC, last_seen DESC, text LIMIT ?",
                (limit,),
            ).fetchall()
        return [Gap(row[0], row[1], _moment(row[2]), _moment(row[3])) for row in rows]

    # --- helpers ---------------------------------------------------------------------------------

    def _write(self) -> _Transaction:
        return _Transaction(self._conn, self._lock)

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

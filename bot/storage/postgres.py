"""The shared store: PostgreSQL through psycopg 3, for several bot instances on one database.

Claims take rows with FOR UPDATE SKIP LOCKED and lease them for a while, so two dispatchers never
take the same reminder, and a crashed one's reminders are taken again once its lease expires.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator

import psycopg

from bot.core.reminders import Cadence, Reminder, Subscription
from bot.storage.base import Claim, Outcome, empty_stats
from bot.storage.migrations import migrate_postgres

_SUBSCRIPTION_COLUMNS = (
    "id, platform, chat_id, region, language, timezone, checkup, created_at, active"
)
_REMINDER_COLUMNS = "id, subscription_id, kind, subject, offset_days, due_at, expires_at, attempts"
_DROP_PENDING = "DELETE FROM reminders WHERE subscription_id = %s AND state = 'scheduled'"


class PostgresStore:
    def __init__(self, url: str):
        self._conn = psycopg.connect(url, autocommit=True)
        # One connection, used by one thread at a time (the dispatcher calls us via to_thread).
        self._lock = threading.RLock()
        migrate_postgres(self._conn)

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
    ) -> Subscription:
        with self._lock, self._conn.transaction():
            row = self._conn.execute(
                "INSERT INTO subscriptions (platform, chat_id, region, language, timezone, checkup,"
                " created_at, active) VALUES (%s, %s, %s, %s, %s, %s, %s, TRUE)"
                " ON CONFLICT (platform, chat_id) DO UPDATE SET region = excluded.region,"
                " language = excluded.language, timezone = excluded.timezone,"
                " checkup = excluded.checkup, created_at = excluded.created_at, active = TRUE"
                f" RETURNING {_SUBSCRIPTION_COLUMNS}",
                (platform, chat_id, region, language, timezone, checkup, created_at),
            ).fetchone()
            self._conn.execute(_DROP_PENDING, (row[0],))
        return _subscription(row)

    def subscription_for(self, platform: str, chat_id: str) -> Subscription | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions"
                " WHERE platform = %s AND chat_id = %s",
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
    ) -> Subscription:
        changes = {
            "region": region,
            "language": language,
            "timezone": timezone,
            "checkup": checkup,
        }
        changes = {name: value for name, value in changes.items() if value is not None}
        with self._lock, self._conn.transaction():
            if changes:
                assignments = ", ".join(f"{name} = %s" for name in changes)
                self._conn.execute(
                    f"UPDATE subscriptions SET {assignments} WHERE id = %s",
                    (*changes.values(), subscription_id),
                )
                self._conn.execute(_DROP_PENDING, (subscription_id,))
            row = self._conn.execute(
                f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = %s",
                (subscription_id,),
            ).fetchone()
        if row is None:
            raise LookupError(subscription_id)
        return _subscription(row)

    def deactivate(self, subscription_id: int) -> None:
        with self._lock, self._conn.transaction():
            self._conn.execute(
                "UPDATE subscriptions SET active = FALSE WHERE id = %s", (subscription_id,)
            )
            self._conn.execute(_DROP_PENDING, (subscription_id,))

    def forget(self, platform: str, chat_id: str) -> int:
        with self._lock, self._conn.transaction():
            self._conn.execute(
                "DELETE FROM reminders WHERE subscription_id IN"
                " (SELECT id FROM subscriptions WHERE platform = %s AND chat_id = %s)",
                (platform, chat_id),
            )
            cursor = self._conn.execute(
                "DELETE FROM subscriptions WHERE platform = %s AND chat_id = %s",
                (platform, chat_id),
            )
            return cursor.rowcount

    def active_subscriptions(self) -> Iterator[Subscription]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE active ORDER BY id"
            ).fetchall()
        return iter([_subscription(row) for row in rows])

    # --- reminders -------------------------------------------------------------------------------

    def schedule(self, reminders: Iterable[Reminder]) -> int:
        rows = [
            (r.subscription_id, r.subject, r.offset_days, r.kind, r.due_at, r.expires_at)
            for r in reminders
        ]
        if not rows:
            return 0
        with self._lock, self._conn.transaction(), self._conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO reminders (subscription_id, subject, offset_days, kind, due_at,"
                " expires_at) VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (subscription_id, subject, offset_days) DO NOTHING",
                rows,
            )
            return cursor.rowcount

    def claim_due(
        self, now: dt.datetime, *, limit: int, lease: dt.timedelta, worker: str
    ) -> list[Claim]:
        with self._lock, self._conn.transaction():
            rows = self._conn.execute(
                "WITH due AS (SELECT r.id FROM reminders r"
                " JOIN subscriptions s ON s.id = r.subscription_id"
                " WHERE r.state = 'scheduled' AND r.due_at <= %(now)s"
                " AND (r.lease_until IS NULL OR r.lease_until <= %(now)s) AND s.active"
                " ORDER BY r.due_at, r.id LIMIT %(limit)s FOR UPDATE OF r SKIP LOCKED)"
                " UPDATE reminders r SET lease_until = %(until)s, claimed_by = %(worker)s,"
                " attempts = r.attempts + 1 FROM due WHERE r.id = due.id"
                " RETURNING r.id, r.subscription_id, r.kind, r.subject, r.offset_days,"
                " r.due_at, r.expires_at, r.attempts",
                {"now": now, "limit": limit, "until": now + lease, "worker": worker},
            ).fetchall()
            ids = list({row[1] for row in rows})
            subscriptions = {
                row[0]: _subscription(row)
                for row in self._conn.execute(
                    f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ANY(%s)", (ids,)
                )
            }
        claims = [
            Claim(row[0], _reminder(row), subscriptions[row[1]], row[7])
            for row in rows
            if row[1] in subscriptions
        ]
        return sorted(claims, key=lambda c: (c.reminder.due_at, c.id))

    def record(self, outcomes: Iterable[Outcome], at: dt.datetime) -> None:
        rows = [(o.state.value, at, o.reminder_id) for o in outcomes]
        if not rows:
            return
        with self._lock, self._conn.transaction(), self._conn.cursor() as cursor:
            cursor.executemany(
                "UPDATE reminders SET state = %s, finished_at = %s, lease_until = NULL"
                " WHERE id = %s AND state = 'scheduled'",
                rows,
            )

    def next_due_at(self) -> dt.datetime | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(r.due_at) FROM reminders r JOIN subscriptions s"
                " ON s.id = r.subscription_id WHERE r.state = 'scheduled' AND s.active"
            ).fetchone()
        return row[0] if row else None

    def upcoming(self, subscription_id: int, limit: int = 10) -> list[Reminder]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_REMINDER_COLUMNS} FROM reminders"
                " WHERE subscription_id = %s AND state = 'scheduled' ORDER BY due_at, id LIMIT %s",
                (subscription_id, limit),
            ).fetchall()
        return [_reminder(row) for row in rows]

    def stats(self) -> dict[str, int]:
        stats = empty_stats()
        with self._lock:
            for state, count in self._conn.execute(
                "SELECT state, COUNT(*) FROM reminders GROUP BY state"
            ):
                stats[state] = count
            for active, count in self._conn.execute(
                "SELECT active, COUNT(*) FROM subscriptions GROUP BY active"
            ):
                stats["subscriptions_active" if active else "subscriptions_inactive"] = count
        return stats

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _subscription(row: tuple) -> Subscription:
    return Subscription(
        id=row[0],
        platform=row[1],
        chat_id=row[2],
        region=row[3],
        language=row[4],
        timezone=row[5],
        checkup=row[6],
        created_at=row[7].astimezone(dt.UTC),
        active=bool(row[8]),
    )


def _reminder(row: tuple) -> Reminder:
    return Reminder(
        subscription_id=row[1],
        kind=row[2],
        subject=row[3],
        offset_days=row[4],
        due_at=row[5].astimezone(dt.UTC),
        expires_at=row[6].astimezone(dt.UTC),
    )

"""The shared store: PostgreSQL through psycopg 3, for several bot instances on one database.

Claims take rows with FOR UPDATE SKIP LOCKED and lease them for a while, so two dispatchers never
take the same reminder, and a crashed one's reminders are taken again once its lease expires.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from functools import lru_cache

import psycopg

from bot.core.reminders import Cadence, Reminder, Subscription
from bot.core.session import Session
from bot.storage.base import Claim, Gap, Outcome
from bot.storage.migrations import migrate_postgres
from bot.storage.sql import HOLD_SENDER, RELEASE_SENDER, SUBSCRIPTION_COLUMNS, SqlReads

_CLAIMED_SUBSCRIPTION_COLUMNS = ", ".join(f"s.{c.strip()}" for c in SUBSCRIPTION_COLUMNS.split(","))
_DROP_PENDING = "DELETE FROM reminders WHERE subscription_id = %s AND state = 'scheduled'"


class PostgresStore(SqlReads):
    PARAM = "%s"
    ACTIVE = "active"

    def __init__(self, url: str):
        self._conn = psycopg.connect(url, autocommit=True)
        # One connection, used by one thread at a time (the dispatcher calls us via to_thread).
        self._lock = threading.RLock()
        migrate_postgres(self._conn)
        # The dispatch loop's claims and outcome writes are each one statement (one round trip)
        # on a connection of its own that never waits for the WAL to reach the disk: a claim
        # costs 1 round trip instead of 5 and an fsync, a write 1 instead of 4. A kill of the
        # bot loses nothing by it; a crash of the server may lose the last fraction of a second
        # of claims and records, whose reminders are then claimed and sent again (at least once
        # holds). enable_sort is off so that a claim reads due reminders in the claim index's
        # order and stops at its limit: right after a big schedule, stale statistics would have
        # the planner fetch and sort every due reminder on each claim (10x slower).
        self._dispatch = psycopg.connect(url, autocommit=True)
        self._dispatch.execute("SET synchronous_commit = off")
        self._dispatch.execute("SET enable_sort = off")
        self._dispatch_lock = threading.Lock()

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
        known = None if known_events is None else sorted(set(known_events))
        with self._lock, self._conn.transaction():
            row = self._conn.execute(
                "INSERT INTO subscriptions (platform, chat_id, region, language, timezone, checkup,"
                " created_at, active, known_events, set_up_by)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, TRUE, %s::text[], %s)"
                " ON CONFLICT (platform, chat_id) DO UPDATE SET region = excluded.region,"
                " language = excluded.language, timezone = excluded.timezone,"
                " checkup = excluded.checkup, created_at = excluded.created_at, active = TRUE,"
                " known_events = excluded.known_events, set_up_by = excluded.set_up_by"
                f" RETURNING {SUBSCRIPTION_COLUMNS}",
                (
                    platform,
                    chat_id,
                    region,
                    language,
                    timezone,
                    checkup,
                    created_at,
                    known,
                    set_up_by,
                ),
            ).fetchone()
            self._conn.execute(_DROP_PENDING, (row[0],))
        return _subscription(row)

    def subscription_for(self, platform: str, chat_id: str) -> Subscription | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions"
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
        with self._lock, self._conn.transaction():
            if changes:
                assignments = ", ".join(f"{name} = %s" for name in changes)
                params = [*changes.values()]
                if region is not None:  # a new region is a new start; SET reads the old one
                    assignments += ", known_events = CASE WHEN region = %s THEN known_events END"
                    params.append(region)
                self._conn.execute(
                    f"UPDATE subscriptions SET {assignments} WHERE id = %s",
                    (*params, subscription_id),
                )
                self._conn.execute(_DROP_PENDING, (subscription_id,))
            row = self._conn.execute(
                f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = %s",
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
            self._conn.execute(
                "DELETE FROM sessions WHERE platform = %s AND chat_id = %s", (platform, chat_id)
            )
            # Channels this chat set up keep their reminders, without it as their setter.
            self._conn.execute(
                "UPDATE subscriptions SET set_up_by = NULL WHERE platform = %s AND set_up_by = %s",
                (platform, chat_id),
            )
            cursor = self._conn.execute(
                "DELETE FROM subscriptions WHERE platform = %s AND chat_id = %s",
                (platform, chat_id),
            )
            return cursor.rowcount

    def settle_known_events(self, event_ids: Iterable[str]) -> int:
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE subscriptions SET known_events = %s::text[] WHERE known_events IS NULL",
                (sorted(set(event_ids)),),
            )
            return cursor.rowcount

    # --- reminders -------------------------------------------------------------------------------

    def schedule(self, reminders: Iterable[Reminder]) -> int:
        # Key order: two instances inserting the same keys lock them in one order, never a cycle.
        rows = sorted(
            (r.subscription_id, r.subject, r.offset_days, r.kind, r.due_at, r.expires_at)
            for r in reminders
        )
        if not rows:
            return 0
        columns = [list(column) for column in zip(*rows, strict=True)]
        with self._lock:
            # One statement per batch, its columns sent as binary arrays: faster than executemany,
            # and quoting text arrays value by value cost more than the insert itself.
            cursor = self._conn.execute(
                "INSERT INTO reminders (subscription_id, subject, offset_days, kind, due_at,"
                " expires_at) SELECT * FROM unnest(%b::bigint[], %b::text[], %b::int[],"
                " %b::text[], %b::timestamptz[], %b::timestamptz[])"
                " ON CONFLICT (subscription_id, subject, offset_days) DO NOTHING",
                columns,
            )
            return cursor.rowcount

    def claim_due(
        self,
        now: dt.datetime,
        *,
        limit: int,
        lease: dt.timedelta,
        worker: str,
        platforms: frozenset[str] | None = None,
    ) -> list[Claim]:
        with self._dispatch_lock:
            rows = self._dispatch.execute(
                "WITH due AS (SELECT r.id FROM reminders r"
                " JOIN subscriptions s ON s.id = r.subscription_id"
                " WHERE r.state = 'scheduled' AND r.due_at <= %(now)s"
                " AND (r.lease_until IS NULL OR r.lease_until <= %(now)s) AND s.active"
                " AND (%(platforms)s::text[] IS NULL OR s.platform = ANY(%(platforms)s))"
                " ORDER BY r.due_at, r.id LIMIT %(limit)s FOR UPDATE OF r SKIP LOCKED),"
                " claimed AS (UPDATE reminders r SET lease_until = %(until)s,"
                " claimed_by = %(worker)s, attempts = r.attempts + 1 FROM due WHERE r.id = due.id"
                " RETURNING r.id, r.subscription_id, r.kind, r.subject, r.offset_days,"
                " r.due_at, r.expires_at, r.attempts)"
                f" SELECT c.*, {_CLAIMED_SUBSCRIPTION_COLUMNS} FROM claimed c"
                " JOIN subscriptions s ON s.id = c.subscription_id",
                {
                    "now": now,
                    "limit": limit,
                    "until": now + lease,
                    "worker": worker,
                    "platforms": None if platforms is None else sorted(platforms),
                },
            ).fetchall()
        subscriptions: dict[int, Subscription] = {}
        claims = []
        for row in rows:
            sub = subscriptions.get(row[1])
            if sub is None:
                sub = subscriptions[row[1]] = _subscription(row[8:])
            claims.append(Claim(row[0], _reminder(row), sub, row[7]))
        return sorted(claims, key=lambda c: (c.reminder.due_at, c.id))

    def record(self, outcomes: Iterable[Outcome], at: dt.datetime) -> None:
        ids: list[int] = []
        states: list[str] = []
        for outcome in outcomes:
            ids.append(outcome.reminder_id)
            states.append(outcome.state.value)
        if not ids:
            return
        with self._dispatch_lock:
            # A join on the primary key: "id = ANY(...)" let stale statistics pick a scan of
            # every scheduled reminder instead.
            self._dispatch.execute(
                "UPDATE reminders r SET state = done.state, finished_at = %s, lease_until = NULL"
                " FROM unnest(%s::bigint[], %s::text[]) AS done (id, state)"
                " WHERE r.id = done.id AND r.state = 'scheduled'",
                (at, ids, states),
            )

    def close(self) -> None:
        with self._dispatch_lock:
            self._dispatch.close()
        super().close()

    def release(self, worker: str) -> int:
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE reminders SET lease_until = NULL, claimed_by = NULL"
                " WHERE claimed_by = %s AND state = 'scheduled' AND lease_until IS NOT NULL",
                (worker,),
            )
            return cursor.rowcount

    def next_due_at(self, platforms: frozenset[str] | None = None) -> dt.datetime | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(r.due_at) FROM reminders r JOIN subscriptions s"
                " ON s.id = r.subscription_id WHERE r.state = 'scheduled' AND s.active"
                " AND (%s::text[] IS NULL OR s.platform = ANY(%s))",
                (None if platforms is None else sorted(platforms),) * 2,
            ).fetchone()
        return row[0] if row else None

    def hold_sender(self, key: str, worker: str, now: dt.datetime, lease: dt.timedelta) -> bool:
        with self._lock:
            row = self._conn.execute(
                self._sql(HOLD_SENDER), (key, worker, now + lease, now)
            ).fetchone()
        return row is not None

    def release_sender(self, key: str, worker: str) -> None:
        with self._lock:
            self._conn.execute(self._sql(RELEASE_SENDER), (key, worker))

    # --- conversation context --------------------------------------------------------------

    def load_session(self, platform: str, chat_id: str) -> Session | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT region, intent, awaiting_region_for, updated_at, language,"
                " chosen_language, pending FROM sessions"
                " WHERE platform = %s AND chat_id = %s",
                (platform, chat_id),
            ).fetchone()
        if row is None:
            return None
        return Session(
            region=row[0],
            intent=row[1],
            awaiting_region_for=row[2],
            updated_at=row[3].astimezone(dt.UTC),
            language=row[4],
            chosen_language=row[5],
            pending=row[6],
        )

    def save_session(self, platform: str, chat_id: str, session: Session) -> None:
        if session.updated_at is None:
            raise ValueError("a stored session needs updated_at")
        with self._lock:
            self._conn.execute(
                "INSERT INTO sessions (platform, chat_id, region, intent, awaiting_region_for,"
                " updated_at, language, chosen_language, pending)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
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
                    session.updated_at,
                    session.language,
                    session.chosen_language,
                    session.pending,
                ),
            )

    def delete_session(self, platform: str, chat_id: str) -> None:
        with self._lock:
            self._conn.execute(
                "DELETE FROM sessions WHERE platform = %s AND chat_id = %s", (platform, chat_id)
            )

    def expire_sessions(self, before: dt.datetime) -> int:
        with self._lock:
            cursor = self._conn.execute("DELETE FROM sessions WHERE updated_at < %s", (before,))
            return cursor.rowcount

    # --- unanswered questions --------------------------------------------------------------

    def note_unanswered(self, text: str, at: dt.datetime) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO unanswered (text, count, first_seen, last_seen) VALUES (%s, 1, %s, %s)"
                " ON CONFLICT (text) DO UPDATE SET count = unanswered.count + 1,"
                " last_seen = GREATEST(unanswered.last_seen, excluded.last_seen)",
                (text, at, at),
            )

    def purge_unanswered(self, before: dt.datetime) -> int:
        with self._lock:
            cursor = self._conn.execute("DELETE FROM unanswered WHERE first_seen < %s", (before,))
            return cursor.rowcount

    def unanswered(self, limit: int = 20) -> list[Gap]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT text, count, first_seen, last_seen FROM unanswered"
                " ORDER BY count DESC, last_seen DESC, text LIMIT %s",
                (limit,),
            ).fetchall()
        return [
            Gap(row[0], row[1], row[2].astimezone(dt.UTC), row[3].astimezone(dt.UTC))
            for row in rows
        ]


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
        known_events=None if row[9] is None else _known_set(tuple(row[9])),
        language_chosen=bool(row[10]),
        set_up_by=row[11],
    )


@lru_cache(maxsize=256)
def _known_set(event_ids: tuple[str, ...]) -> frozenset[str]:
    # Most subscriptions share one list: one set for all of them.
    return frozenset(event_ids)


def _reminder(row: tuple) -> Reminder:
    return Reminder(
        subscription_id=row[1],
        kind=row[2],
        subject=row[3],
        offset_days=row[4],
        due_at=row[5].astimezone(dt.UTC),
        expires_at=row[6].astimezone(dt.UTC),
    )


PostgresStore._subscription_from_row = staticmethod(_subscription)
PostgresStore._reminder_from_row = staticmethod(_reminder)

"""The shared store: PostgreSQL through psycopg 3, for several bot instances on one database.

Claims take rows with FOR UPDATE SKIP LOCKED and lease them for a while, so two dispatchers never
take the same reminder, and a crashed one's reminders are taken again once its lease expires.

Times are timestamptz and known events text[]. The store holds two connections: `_conn` for
everything but the dispatch loop, under one lock, in autocommit (a write of one statement is one
round trip, several go in a transaction); and `_dispatch`, on which claim_due and record are each
one statement, one round trip, that never waits for the WAL to reach the disk. The SQL it shares
with SQLite is in bot.storage.sql; here are the reminders' schedule, claims, records and next due
time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache

import psycopg

from bot.core.reminders import Reminder, Subscription
from bot.storage.base import Claim, Outcome
from bot.storage.migrations import migrate_postgres
from bot.storage.sql import SUBSCRIPTION_COLUMNS, SqlReads, SqlWrites

# Outcomes written in one statement: a join on the primary key ("id = ANY(...)" let stale
# statistics pick a scan of every scheduled reminder instead).
_RECORD = (
    "UPDATE reminders r SET state = done.state, finished_at = %s, lease_until = NULL"
    " FROM unnest(%s::bigint[], %s::text[]) AS done (id, state)"
    " WHERE r.id = done.id AND r.state = 'scheduled'"
)
_CLAIMED_SUBSCRIPTION_COLUMNS = ", ".join(f"s.{c.strip()}" for c in SUBSCRIPTION_COLUMNS.split(","))


class PostgresStore(SqlReads, SqlWrites):
    PARAM = "%s"
    ACTIVE = "active"
    GREATEST = "GREATEST"
    KNOWN = "?::text[]"

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
        self._url = url
        # The dispatcher's outcome writes from its event loop (record_async), made when first
        # needed, in that loop: the same statement without a thread hop for each write.
        self._outcomes: psycopg.AsyncConnection | None = None
        self._outcomes_loop: asyncio.AbstractEventLoop | None = None
        self._outcomes_lock: asyncio.Lock | None = None

    # --- reminders: the hot path, in PostgreSQL's way ----------------------------------------

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
        params = _outcome_params(outcomes, at)
        if params is None:
            return
        with self._dispatch_lock:
            self._dispatch.execute(_RECORD, params)

    async def record_async(self, outcomes: Iterable[Outcome], at: dt.datetime) -> None:
        """record(), awaited on the caller's event loop: the dispatcher writes every few sends,
        and a thread hop per write cost about a tenth of its throughput."""
        params = _outcome_params(outcomes, at)
        if params is None:
            return
        loop = asyncio.get_running_loop()
        if self._outcomes_loop is not loop or self._outcomes_lock is None:
            self._drop_outcomes_connection()  # made in another loop, gone by now
            self._outcomes_loop, self._outcomes_lock = loop, asyncio.Lock()
        async with self._outcomes_lock:
            if self._outcomes is None or self._outcomes.closed:
                connection = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
                await connection.execute("SET synchronous_commit = off")
                self._outcomes = connection
            await self._outcomes.execute(_RECORD, params)

    def _drop_outcomes_connection(self) -> None:
        # Closed without awaiting (its loop may be gone): libpq's own close of the socket.
        if self._outcomes is not None:
            self._outcomes.pgconn.finish()
            self._outcomes = None

    def next_due_at(self, platforms: frozenset[str] | None = None) -> dt.datetime | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(r.due_at) FROM reminders r JOIN subscriptions s"
                " ON s.id = r.subscription_id WHERE r.state = 'scheduled' AND s.active"
                " AND (%s::text[] IS NULL OR s.platform = ANY(%s))",
                (None if platforms is None else sorted(platforms),) * 2,
            ).fetchone()
        return row[0] if row else None

    # --- connections -----------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection]:
        with self._lock, self._conn.transaction():
            yield self._conn

    @contextmanager
    def _write(self) -> Iterator[psycopg.Connection]:
        # One statement: in autocommit, one round trip.
        with self._lock:
            yield self._conn

    def close(self) -> None:
        self._drop_outcomes_connection()
        with self._dispatch_lock:
            self._dispatch.close()
        super().close()


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def _same(moment: dt.datetime) -> dt.datetime:
    return moment  # psycopg sends it as it is


def _known_list(event_ids: Iterable[str]) -> list[str]:
    return sorted(set(event_ids))


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
PostgresStore._time_to_db = staticmethod(_same)
PostgresStore._time_from_db = staticmethod(_utc)
PostgresStore._known_to_db = staticmethod(_known_list)


def _outcome_params(outcomes: Iterable[Outcome], at: dt.datetime) -> tuple | None:
    ids: list[int] = []
    states: list[str] = []
    for outcome in outcomes:
        ids.append(outcome.reminder_id)
        states.append(outcome.state.value)
    return (at, ids, states) if ids else None

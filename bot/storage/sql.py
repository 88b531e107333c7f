"""What the SQLite and PostgreSQL stores share: the column lists, and the queries that are the same
in both dialects but for the parameter marker, how "active" is tested, the larger of two values
and the type of the known events, written once with the methods that run them.

A backend sets the dialect and the conversions (times, known events, rows), and how it writes:
`_transaction()` for several statements at once, `_write()` for one. It keeps to itself what
truly differs: schedule, claim_due, record and next_due_at (bulk inserts, RETURNING and locking,
round trips), its connections and its migrations.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from bot.core.reminders import Cadence, Reminder, Subscription
from bot.core.session import Session
from bot.storage.base import Gap, empty_stats

SUBSCRIPTION_COLUMNS = (
    "id, platform, chat_id, region, language, timezone, checkup, created_at, active, known_events,"
    " language_chosen, set_up_by"
)
REMINDER_COLUMNS = "id, subscription_id, kind, subject, offset_days, due_at, expires_at, attempts"
SESSION_COLUMNS = (
    "region, intent, awaiting_region_for, updated_at, language, chosen_language, pending"
)
# Reminders not yet sent, dropped when a subscription changes, to be scheduled anew.
DROP_PENDING = "DELETE FROM reminders WHERE subscription_id = ? AND state = 'scheduled'"
# Take the sender lease if it is free, ours, or expired; a row comes back only if we hold it. On
# PostgreSQL two takers of one key queue on its row and the second sees the first's lease.
HOLD_SENDER = (
    "INSERT INTO senders (key, holder, lease_until) VALUES (?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until"
    " WHERE senders.holder = excluded.holder OR senders.lease_until <= ?"
    " RETURNING holder"
)
RELEASE_SENDER = "DELETE FROM senders WHERE key = ? AND holder = ?"


class SqlDialect:
    """How one backend spells the shared SQL, and converts values to and from it. A subclass sets
    the class attributes and conversions, and `_conn` (a DB-API connection, for reads and
    writes) and `_lock` in its constructor."""

    PARAM = "?"  # the parameter marker
    ACTIVE = "active = 1"  # an active subscription, as a condition
    GREATEST = "MAX"  # the larger of two values
    KNOWN = "?"  # the known events' parameter (a JSON text on SQLite, text[] on PostgreSQL)
    _conn: Any
    _lock: threading.RLock
    _subscription_from_row: Callable[[tuple], Subscription]
    _reminder_from_row: Callable[[tuple], Reminder]
    _time_to_db: Callable[[dt.datetime], Any]
    _time_from_db: Callable[[Any], dt.datetime]
    _known_to_db: Callable[[Iterable[str]], Any]

    def _sql(self, text: str) -> str:
        """Query text written with "?" markers, ACTIVE, GREATEST and KNOWN, in this dialect."""
        return (
            text.replace("KNOWN", self.KNOWN)
            .replace("?", self.PARAM)
            .replace("ACTIVE", self.ACTIVE)
            .replace("GREATEST", self.GREATEST)
        )


class SqlReads(SqlDialect):
    """Read queries written once."""

    PAGE = 5000  # subscriptions read at a time when scheduling

    def subscription_for(self, platform: str, chat_id: str) -> Subscription | None:
        with self._lock:
            row = self._conn.execute(
                self._sql(
                    f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions"
                    " WHERE platform = ? AND chat_id = ?"
                ),
                (platform, chat_id),
            ).fetchone()
        return self._subscription_from_row(row) if row else None

    def active_subscriptions(self) -> Iterator[Subscription]:
        after = 0
        while True:
            with self._lock:
                rows = self._conn.execute(
                    self._sql(
                        f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions"
                        " WHERE ACTIVE AND id > ? ORDER BY id LIMIT ?"
                    ),
                    (after, self.PAGE),
                ).fetchall()
            yield from (self._subscription_from_row(row) for row in rows)
            if len(rows) < self.PAGE:
                return
            after = rows[-1][0]

    def upcoming(self, subscription_id: int, limit: int = 10) -> list[Reminder]:
        with self._lock:
            rows = self._conn.execute(
                self._sql(
                    f"SELECT {REMINDER_COLUMNS} FROM reminders"
                    " WHERE subscription_id = ? AND state = 'scheduled' ORDER BY due_at, id LIMIT ?"
                ),
                (subscription_id, limit),
            ).fetchall()
        return [self._reminder_from_row(row) for row in rows]

    def load_session(self, platform: str, chat_id: str) -> Session | None:
        with self._lock:
            row = self._conn.execute(
                self._sql(
                    f"SELECT {SESSION_COLUMNS} FROM sessions WHERE platform = ? AND chat_id = ?"
                ),
                (platform, chat_id),
            ).fetchone()
        if row is None:
            return None
        return Session(
            region=row[0],
            intent=row[1],
            awaiting_region_for=row[2],
            updated_at=self._time_from_db(row[3]),
            language=row[4],
            chosen_language=row[5],
            pending=row[6],
        )

    def unanswered(self, limit: int = 20) -> list[Gap]:
        with self._lock:
            rows = self._conn.execute(
                self._sql(
                    "SELECT text, count, first_seen, last_seen FROM unanswered"
                    " ORDER BY count DESC, last_seen DESC, text LIMIT ?"
                ),
                (limit,),
            ).fetchall()
        return [
            Gap(row[0], row[1], self._time_from_db(row[2]), self._time_from_db(row[3]))
            for row in rows
        ]

    def subscriber_counts(self) -> dict[tuple[str, str], int]:
        with self._lock:
            rows = self._conn.execute(
                self._sql(
                    "SELECT platform, region, COUNT(*) FROM subscriptions"
                    " WHERE ACTIVE GROUP BY platform, region"
                )
            ).fetchall()
        return {(platform, region): count for platform, region, count in rows}

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


class SqlWrites(SqlDialect):
    """Write queries written once: every write but the reminders' hot path (schedule, claim_due,
    record), which each backend writes its own way. `_transaction()` runs several statements as
    one; `_write()` runs one (on SQLite a transaction too, on PostgreSQL in autocommit, one round
    trip). Both hold the store's lock and give its connection."""

    _transaction: Callable[[], AbstractContextManager[Any]]
    _write: Callable[[], AbstractContextManager[Any]]

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
        known = None if known_events is None else self._known_to_db(known_events)
        with self._transaction() as conn:
            row = conn.execute(
                self._sql(
                    "INSERT INTO subscriptions (platform, chat_id, region, language, timezone,"
                    " checkup, created_at, active, known_events, set_up_by)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, TRUE, KNOWN, ?)"
                    " ON CONFLICT (platform, chat_id) DO UPDATE SET region = excluded.region,"
                    " language = excluded.language, timezone = excluded.timezone,"
                    " checkup = excluded.checkup, created_at = excluded.created_at, active = TRUE,"
                    " known_events = excluded.known_events, set_up_by = excluded.set_up_by"
                    f" RETURNING {SUBSCRIPTION_COLUMNS}"
                ),
                (
                    platform,
                    chat_id,
                    region,
                    language,
                    timezone,
                    checkup,
                    self._time_to_db(created_at),
                    known,
                    set_up_by,
                ),
            ).fetchone()
            conn.execute(self._sql(DROP_PENDING), (row[0],))
        return self._subscription_from_row(row)

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
        with self._transaction() as conn:
            if changes:
                assignments = ", ".join(f"{name} = ?" for name in changes)
                params = [*changes.values()]
                if region is not None:  # a new region is a new start; SET reads the old one
                    assignments += ", known_events = CASE WHEN region = ? THEN known_events END"
                    params.append(region)
                conn.execute(
                    self._sql(f"UPDATE subscriptions SET {assignments} WHERE id = ?"),
                    (*params, subscription_id),
                )
                conn.execute(self._sql(DROP_PENDING), (subscription_id,))
            row = conn.execute(
                self._sql(f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?"),
                (subscription_id,),
            ).fetchone()
        if row is None:
            raise LookupError(subscription_id)
        return self._subscription_from_row(row)

    def deactivate(self, subscription_id: int) -> None:
        with self._transaction() as conn:
            conn.execute(
                self._sql("UPDATE subscriptions SET active = FALSE WHERE id = ?"),
                (subscription_id,),
            )
            conn.execute(self._sql(DROP_PENDING), (subscription_id,))

    def move_chat(self, platform: str, chat_id: str, new_chat_id: str) -> bool:
        # Unless the new chat has a subscription of its own, which is then the one kept.
        with self._write() as conn:
            cursor = conn.execute(
                self._sql(
                    "UPDATE subscriptions SET chat_id = ? WHERE platform = ? AND chat_id = ?"
                    " AND NOT EXISTS (SELECT 1 FROM subscriptions other"
                    " WHERE other.platform = ? AND other.chat_id = ?)"
                ),
                (new_chat_id, platform, chat_id, platform, new_chat_id),
            )
            return cursor.rowcount > 0

    def forget(self, platform: str, chat_id: str) -> int:
        with self._transaction() as conn:
            conn.execute(
                self._sql(
                    "DELETE FROM reminders WHERE subscription_id IN"
                    " (SELECT id FROM subscriptions WHERE platform = ? AND chat_id = ?)"
                ),
                (platform, chat_id),
            )
            conn.execute(
                self._sql("DELETE FROM sessions WHERE platform = ? AND chat_id = ?"),
                (platform, chat_id),
            )
            # Channels this chat set up keep their reminders, without it as their setter.
            conn.execute(
                self._sql(
                    "UPDATE subscriptions SET set_up_by = NULL WHERE platform = ? AND set_up_by = ?"
                ),
                (platform, chat_id),
            )
            cursor = conn.execute(
                self._sql("DELETE FROM subscriptions WHERE platform = ? AND chat_id = ?"),
                (platform, chat_id),
            )
            return cursor.rowcount

    def settle_known_events(self, event_ids: Iterable[str]) -> int:
        with self._write() as conn:
            cursor = conn.execute(
                self._sql(
                    "UPDATE subscriptions SET known_events = KNOWN WHERE known_events IS NULL"
                ),
                (self._known_to_db(event_ids),),
            )
            return cursor.rowcount

    # --- reminders and senders -------------------------------------------------------------------

    def release(self, worker: str) -> int:
        with self._write() as conn:
            cursor = conn.execute(
                self._sql(
                    "UPDATE reminders SET lease_until = NULL, claimed_by = NULL"
                    " WHERE claimed_by = ? AND state = 'scheduled' AND lease_until IS NOT NULL"
                ),
                (worker,),
            )
            return cursor.rowcount

    def hold_sender(self, key: str, worker: str, now: dt.datetime, lease: dt.timedelta) -> bool:
        with self._write() as conn:
            row = conn.execute(
                self._sql(HOLD_SENDER),
                (key, worker, self._time_to_db(now + lease), self._time_to_db(now)),
            ).fetchone()
        return row is not None

    def release_sender(self, key: str, worker: str) -> None:
        with self._write() as conn:
            conn.execute(self._sql(RELEASE_SENDER), (key, worker))

    # --- conversation context --------------------------------------------------------------------

    def save_session(self, platform: str, chat_id: str, session: Session) -> None:
        if session.updated_at is None:
            raise ValueError("a stored session needs updated_at")
        with self._write() as conn:
            conn.execute(
                self._sql(
                    f"INSERT INTO sessions (platform, chat_id, {SESSION_COLUMNS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (platform, chat_id) DO UPDATE SET region = excluded.region,"
                    " intent = excluded.intent, awaiting_region_for = excluded.awaiting_region_for,"
                    " updated_at = excluded.updated_at, language = excluded.language,"
                    " chosen_language = excluded.chosen_language, pending = excluded.pending"
                ),
                (
                    platform,
                    chat_id,
                    session.region,
                    session.intent,
                    session.awaiting_region_for,
                    self._time_to_db(session.updated_at),
                    session.language,
                    session.chosen_language,
                    session.pending,
                ),
            )

    def delete_session(self, platform: str, chat_id: str) -> None:
        with self._write() as conn:
            conn.execute(
                self._sql("DELETE FROM sessions WHERE platform = ? AND chat_id = ?"),
                (platform, chat_id),
            )

    def expire_sessions(self, before: dt.datetime) -> int:
        with self._write() as conn:
            cursor = conn.execute(
                self._sql("DELETE FROM sessions WHERE updated_at < ?"), (self._time_to_db(before),)
            )
            return cursor.rowcount

    # --- unanswered questions --------------------------------------------------------------------

    def note_unanswered(self, text: str, at: dt.datetime) -> None:
        moment = self._time_to_db(at)
        with self._write() as conn:
            conn.execute(
                self._sql(
                    "INSERT INTO unanswered (text, count, first_seen, last_seen) VALUES (?, 1, ?, ?)"
                    " ON CONFLICT (text) DO UPDATE SET count = unanswered.count + 1,"
                    " last_seen = GREATEST(unanswered.last_seen, excluded.last_seen)"
                ),
                (text, moment, moment),
            )

    def purge_unanswered(self, before: dt.datetime) -> int:
        with self._write() as conn:
            cursor = conn.execute(
                self._sql("DELETE FROM unanswered WHERE first_seen < ?"),
                (self._time_to_db(before),),
            )
            return cursor.rowcount

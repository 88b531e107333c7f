"""What the SQLite and PostgreSQL stores share: column lists and the read queries that are the
same in both dialects but for the parameter marker and how "active" is tested."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from bot.core.reminders import Reminder, Subscription
from bot.storage.base import empty_stats

SUBSCRIPTION_COLUMNS = (
    "id, platform, chat_id, region, language, timezone, checkup, created_at, active, known_events,"
    " language_chosen, set_up_by"
)
REMINDER_COLUMNS = "id, subscription_id, kind, subject, offset_days, due_at, expires_at, attempts"
# Take the sender lease if it is free, ours, or expired; a row comes back only if we hold it. On
# PostgreSQL two takers of one key queue on its row and the second sees the first's lease.
HOLD_SENDER = (
    "INSERT INTO senders (key, holder, lease_until) VALUES (?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until"
    " WHERE senders.holder = excluded.holder OR senders.lease_until <= ?"
    " RETURNING holder"
)
RELEASE_SENDER = "DELETE FROM senders WHERE key = ? AND holder = ?"


class SqlReads:
    """Read queries written once. A subclass sets the dialect (PARAM, ACTIVE), the row readers,
    and `_conn` (a DB-API connection) and `_lock` in its constructor."""

    PARAM = "?"
    ACTIVE = "active = 1"
    PAGE = 5000  # subscriptions read at a time when scheduling
    _conn: Any
    _lock: threading.RLock
    _subscription_from_row: Callable[[tuple], Subscription]
    _reminder_from_row: Callable[[tuple], Reminder]

    def _sql(self, text: str) -> str:
        """Query text written with "?" markers and ACTIVE, in this dialect."""
        return text.replace("?", self.PARAM).replace("ACTIVE", self.ACTIVE)

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

"""Versioned schema migrations: one list per backend, applied in order at start-up.

Each migration runs once, in a transaction with its row in schema_migrations. Never edit a
released migration; append a new one.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

SQLITE_MIGRATIONS: list[str] = [
    """
    CREATE TABLE subscriptions (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        region TEXT NOT NULL,
        language TEXT NOT NULL,
        timezone TEXT NOT NULL,
        checkup TEXT NOT NULL CHECK (checkup IN ('off', 'monthly', 'quarterly')),
        created_at INTEGER NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        UNIQUE (platform, chat_id)
    );
    CREATE TABLE reminders (
        id INTEGER PRIMARY KEY,
        subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
        subject TEXT NOT NULL,
        offset_days INTEGER NOT NULL,
        kind TEXT NOT NULL,
        due_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'scheduled',
        lease_until INTEGER,
        claimed_by TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        finished_at INTEGER,
        UNIQUE (subscription_id, subject, offset_days)
    );
    CREATE INDEX reminders_due ON reminders (due_at) WHERE state = 'scheduled';
    """,
    # 2: the event ids known when a subscription began (a JSON array), for new-event notices.
    """
    ALTER TABLE subscriptions ADD COLUMN known_events TEXT;
    """,
    # 3: claims read due reminders in (due_at, id) order and stop at the batch size.
    """
    CREATE INDEX reminders_claim ON reminders (due_at, id) WHERE state = 'scheduled';
    DROP INDEX reminders_due;
    """,
    # 4: conversation context shared by replicas: the last region and intent, never text.
    """
    CREATE TABLE sessions (
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        region TEXT,
        intent TEXT,
        awaiting_region_for TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (platform, chat_id)
    );
    CREATE INDEX sessions_updated ON sessions (updated_at);
    """,
    # 5: questions that got a fallback, normalised, counted, with no user id (opt-in, 30 days).
    """
    CREATE TABLE unanswered (
        text TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
    );
    CREATE INDEX unanswered_first_seen ON unanswered (first_seen);
    """,
    """
    ALTER TABLE sessions ADD COLUMN language TEXT;
    ALTER TABLE sessions ADD COLUMN chosen_language TEXT;
    ALTER TABLE subscriptions ADD COLUMN language_chosen INTEGER NOT NULL DEFAULT 0
    """,
    # 7: what the bot has just asked the chat ("forget", "pick:a,b,c"), so "yes" or "2" answers it.
    """
    ALTER TABLE sessions ADD COLUMN pending TEXT
    """,
    # 8: one sender per platform account at a time (a lease), so replicas share its rate limit.
    """
    CREATE TABLE senders (
        key TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        lease_until INTEGER NOT NULL
    );
    """,
    # 9: who set up a channel's reminders (their chat id), told if the channel stops taking them.
    """
    ALTER TABLE subscriptions ADD COLUMN set_up_by TEXT
    """,
]

POSTGRES_MIGRATIONS: list[str] = [
    """
    CREATE TABLE subscriptions (
        id BIGSERIAL PRIMARY KEY,
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        region TEXT NOT NULL,
        language TEXT NOT NULL,
        timezone TEXT NOT NULL,
        checkup TEXT NOT NULL CHECK (checkup IN ('off', 'monthly', 'quarterly')),
        created_at TIMESTAMPTZ NOT NULL,
        active BOOLEAN NOT NULL DEFAULT TRUE,
        UNIQUE (platform, chat_id)
    );
    CREATE TABLE reminders (
        id BIGSERIAL PRIMARY KEY,
        subscription_id BIGINT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
        subject TEXT NOT NULL,
        offset_days INTEGER NOT NULL,
        kind TEXT NOT NULL,
        due_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        state TEXT NOT NULL DEFAULT 'scheduled',
        lease_until TIMESTAMPTZ,
        claimed_by TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        finished_at TIMESTAMPTZ,
        UNIQUE (subscription_id, subject, offset_days)
    );
    CREATE INDEX reminders_due ON reminders (due_at) WHERE state = 'scheduled';
    """,
    # 2: the event ids known when a subscription began, for new-event notices.
    """
    ALTER TABLE subscriptions ADD COLUMN known_events TEXT[];
    """,
    # 3: claims read due reminders in (due_at, id) order and stop at the batch size, instead of
    # sorting every due reminder on each claim (slow when many are due at once).
    """
    CREATE INDEX reminders_claim ON reminders (due_at, id) WHERE state = 'scheduled';
    DROP INDEX reminders_due;
    """,
    # 4: conversation context shared by replicas: the last region and intent, never text.
    """
    CREATE TABLE sessions (
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        region TEXT,
        intent TEXT,
        awaiting_region_for TEXT,
        updated_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (platform, chat_id)
    );
    CREATE INDEX sessions_updated ON sessions (updated_at);
    """,
    # 5: questions that got a fallback, normalised, counted, with no user id (opt-in, 30 days).
    """
    CREATE TABLE unanswered (
        text TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        first_seen TIMESTAMPTZ NOT NULL,
        last_seen TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX unanswered_first_seen ON unanswered (first_seen);
    """,
    """
    ALTER TABLE sessions ADD COLUMN language TEXT;
    ALTER TABLE sessions ADD COLUMN chosen_language TEXT;
    ALTER TABLE subscriptions ADD COLUMN language_chosen BOOLEAN NOT NULL DEFAULT FALSE
    """,
    """
    ALTER TABLE sessions ADD COLUMN pending TEXT
    """,
    # 8: one sender per platform account at a time (a lease), so replicas share its rate limit.
    """
    CREATE TABLE senders (
        key TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        lease_until TIMESTAMPTZ NOT NULL
    );
    """,
    # 9: who set up a channel's reminders (their chat id), told if the channel stops taking them.
    """
    ALTER TABLE subscriptions ADD COLUMN set_up_by TEXT
    """,
]

_SQLITE_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations "
    "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
)
_POSTGRES_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations "
    "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
)
# Any constant shared by every instance: two bots starting together migrate one after the other.
_POSTGRES_LOCK = 0x6F70746F7574


def migrate_sqlite(conn: sqlite3.Connection, migrations: list[str] = SQLITE_MIGRATIONS) -> int:
    """Apply pending migrations; returns the schema version. The connection is in autocommit."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_SQLITE_TABLE)
        current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        version = current.fetchone()[0]
        for number, script in enumerate(migrations[version:], version + 1):
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                (number, _now()),
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(migrations)


def migrate_postgres(conn: Any, migrations: list[str] = POSTGRES_MIGRATIONS) -> int:
    """Apply pending migrations on a psycopg connection; returns the schema version."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_POSTGRES_LOCK,))
        conn.execute(_POSTGRES_TABLE)
        row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
        version = row[0]
        for number, script in enumerate(migrations[version:], version + 1):
            conn.execute(script)
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (%s, now())",
                (number,),
            )
    return len(migrations)


def _statements(script: str) -> list[str]:
    # Our migrations hold no semicolons inside literals, so splitting on them is safe.
    return [part.strip() for part in script.split(";") if part.strip()]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()

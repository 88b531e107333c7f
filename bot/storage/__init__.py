"""Storage behind one small interface: SQLite (embedded default) or PostgreSQL (shared).

Chosen by one setting, OPTOUT_DATABASE_URL: sqlite:///relative/path.db, sqlite:////absolute/path.db
or postgresql://...; without it, a SQLite file in OPTOUT_DATA_DIR (default ./data). bot.settings
reads them; open_store() is given the URL.
"""

from __future__ import annotations

from pathlib import Path

from bot.paths import DEFAULT_DATA_DIR
from bot.storage.base import Claim, Outcome, ReminderState, Store

DEFAULT_DATABASE_FILE = "optout-bot.db"

__all__ = [
    "DEFAULT_DATA_DIR",
    "Claim",
    "Outcome",
    "ReminderState",
    "Store",
    "StoreUnavailable",
    "open_store",
]


class StoreUnavailable(RuntimeError):
    """The database could not be opened; one line, with no password in it."""


def open_store(url: str) -> Store:
    """A migrated store for a database URL; StoreUnavailable when it cannot be opened."""
    if url.startswith("sqlite:///"):
        import sqlite3

        from bot.storage.sqlite import SqliteStore

        path = url.removeprefix("sqlite:///")  # a leading "/" left over means absolute
        if not path.strip("/"):
            raise ValueError("sqlite URL without a file path")
        try:
            return SqliteStore(Path(path))
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open the SQLite database {path}: {exc}") from None
    if url.startswith(("postgresql://", "postgres://")):
        import psycopg

        from bot.storage.postgres import PostgresStore

        try:
            return PostgresStore(url)
        except psycopg.Error as exc:
            # psycopg's message names host and port, never the password.
            reason = " ".join(str(exc).split())
            raise StoreUnavailable(f"cannot open the PostgreSQL database: {reason}") from None
    scheme = url.split(":", 1)[0]
    raise ValueError(f"unsupported database URL scheme {scheme!r}: use sqlite:/// or postgresql://")

"""Storage behind one small interface: SQLite (embedded default) or PostgreSQL (shared).

Chosen by one setting, OPTOUT_DATABASE_URL: sqlite:///relative/path.db, sqlite:////absolute/path.db
or postgresql://...; without it, a SQLite file in OPTOUT_DATA_DIR (default ./data).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
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
    "database_url",
    "open_store",
]


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """OPTOUT_DATABASE_URL, or the default SQLite file under OPTOUT_DATA_DIR."""
    env = os.environ if environ is None else environ
    url = env.get("OPTOUT_DATABASE_URL", "").strip()
    if url:
        return url
    data_dir = Path(env.get("OPTOUT_DATA_DIR") or DEFAULT_DATA_DIR)
    # An absolute path keeps its leading "/", giving the four-slash form.
    return "sqlite:///" + (data_dir / DEFAULT_DATABASE_FILE).as_posix()


def open_store(url: str) -> Store:
    """A migrated store for a database URL."""
    if url.startswith("sqlite:///"):
        from bot.storage.sqlite import SqliteStore

        path = url.removeprefix("sqlite:///")  # a leading "/" left over means absolute
        if not path.strip("/"):
            raise ValueError("sqlite URL without a file path")
        return SqliteStore(Path(path))
    if url.startswith(("postgresql://", "postgres://")):
        from bot.storage.postgres import PostgresStore

        return PostgresStore(url)
    scheme = url.split(":", 1)[0]
    raise ValueError(f"unsupported database URL scheme {scheme!r}: use sqlite:/// or postgresql://")

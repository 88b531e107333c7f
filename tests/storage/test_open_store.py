"""Opening a store: the URL picks the backend, and migrations apply once, on SQLite and real PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.settings import database_url
from bot.storage import open_store
from bot.storage.migrations import POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS
from bot.storage.sqlite import SqliteStore
from tests.storage.conftest import Database


def test_migrations_apply_once(database: Database):
    first = database.open()
    first.close()
    second = database.open()  # start-up again: nothing to apply, nothing fails
    second.close()
    versions = sorted(row[0] for row in database.table_rows()["schema_migrations"])
    expected = SQLITE_MIGRATIONS if database.kind == "sqlite" else POSTGRES_MIGRATIONS
    assert versions == list(range(1, len(expected) + 1))


def test_sqlite_urls_relative_and_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    relative = open_store("sqlite:///var/bot.db")
    assert isinstance(relative, SqliteStore) and (tmp_path / "var" / "bot.db").exists()
    relative.close()
    absolute = open_store(f"sqlite:///{tmp_path / 'abs' / 'bot.db'}")  # four slashes
    assert (tmp_path / "abs" / "bot.db").exists()
    assert sqlite3.connect(tmp_path / "abs" / "bot.db").execute("PRAGMA journal_mode").fetchone()[
        0
    ] == ("wal")
    absolute.close()
    with pytest.raises(ValueError, match="scheme"):
        open_store("mysql://localhost/db")


def test_database_url_defaults_to_a_file_in_the_data_dir():
    assert database_url({}) == "sqlite:///data/optout-bot.db"
    assert database_url({"OPTOUT_DATA_DIR": "/srv/bot"}) == "sqlite:////srv/bot/optout-bot.db"
    assert database_url({"OPTOUT_DATABASE_URL": "postgresql://h/db"}) == "postgresql://h/db"

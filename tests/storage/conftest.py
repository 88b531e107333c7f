"""The stores' fixtures: each contract test runs on SQLite (a temporary file) and real PostgreSQL
(OPTOUT_TEST_POSTGRES_URL, each test in its own schema, dropped afterwards). One contract module a
port (test_<concern>_contract.py); service tests that need a real database import these too."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.core.reminders import Reminder
from bot.storage import Store, open_store

POSTGRES_ENV = "OPTOUT_TEST_POSTGRES_URL"
T0 = dt.datetime(2025, 10, 1, 8, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)


@dataclass
class Database:
    """A fresh, empty database for one test, and a way to read every table of it raw."""

    kind: str
    url: str
    schema: str | None = None

    def open(self) -> Store:
        return open_store(self.url)

    def table_rows(self) -> dict[str, list[tuple]]:
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.url.removeprefix("sqlite:///"))
            try:
                names = [
                    row[0]
                    for row in conn.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                        " AND name NOT LIKE 'sqlite_%'"
                    )
                ]
                return {name: conn.execute(f'SELECT * FROM "{name}"').fetchall() for name in names}
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            names = [
                row[0]
                for row in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (self.schema,),
                )
            ]
            return {
                name: conn.execute(f'SELECT * FROM "{self.schema}"."{name}"').fetchall()
                for name in names
            }


def postgres_url_or_skip() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against")
    return url


@pytest.fixture
def postgres_database() -> Iterator[Database]:
    """A schema of its own on the test server, dropped after the test."""
    base = postgres_url_or_skip()
    import psycopg

    schema = f"optout_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    joiner = "&" if "?" in base else "?"
    url = f"{base}{joiner}options={quote(f'-csearch_path={schema}')}"
    try:
        yield Database("postgres", url, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Database:
    return Database("sqlite", f"sqlite:///{tmp_path / 'data' / 'optout.db'}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Database:
    return request.getfixturevalue(f"{request.param}_database")


@pytest.fixture
def store(database: Database) -> Iterator[Store]:
    opened = database.open()
    yield opened
    opened.close()


def subscribe(store: Store, chat_id: str = "42", **changes) -> object:
    settings = {
        "region": "DE",
        "language": "en",
        "timezone": "Europe/Berlin",
        "checkup": "off",
        "created_at": T0,
    } | changes
    return store.add_subscription("terminal", chat_id, **settings)


def reminder(sub_id: int, subject: str = "ai_training_start_2025", offset: int = 14, **times):
    due = times.get("due", T0 + dt.timedelta(hours=offset))
    expires = times.get("expires", due + dt.timedelta(days=30))
    return Reminder(sub_id, "deadline", subject, offset, due, expires)

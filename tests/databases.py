"""The databases tests run on: SQLite (a temporary file) and a real PostgreSQL server
(OPTOUT_TEST_POSTGRES_URL, each test in a schema of its own, dropped afterwards). The fixtures
(`database`, both kinds in turn; `sqlite_database`; `postgres_database`) are in tests/conftest.py."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass

import pytest

from bot.storage import Store, open_store

POSTGRES_ENV = "OPTOUT_TEST_POSTGRES_URL"


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

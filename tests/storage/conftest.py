"""The stores' contract tests: each runs on SQLite and on real PostgreSQL (the `database` fixture,
tests/conftest.py; the PostgreSQL variant is slow). One contract module a port
(test_<concern>_contract.py); here the store opened on that database, and rows to put in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from bot.core.reminders import Reminder
from bot.storage import Store
from tests.databases import Database

T0 = dt.datetime(2025, 10, 1, 8, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)


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

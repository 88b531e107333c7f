"""The ChatEraser contract: erasing a chat leaves no row about it, on SQLite (a temporary file)
and real PostgreSQL alike (the fixtures in conftest.py)."""

from __future__ import annotations

import datetime as dt

from bot.core.session import Session
from bot.storage import ReminderState, Store
from bot.storage.base import Outcome
from tests.storage.conftest import LEASE, T0, Database, reminder, subscribe


def test_forget_leaves_no_row_about_the_user(database: Database, store: Store):
    gone = subscribe(store, "gone")
    kept = subscribe(store, "kept")
    for chat in ("gone", "kept"):
        store.save_session("terminal", chat, Session(region="CA", updated_at=T0))
    store.schedule([reminder(s.id, offset=o) for s in (gone, kept) for o in (14, 0)])
    claims = store.claim_due(T0 + dt.timedelta(hours=1), limit=10, lease=LEASE, worker="a")
    store.record([Outcome(c.id, ReminderState.SENT) for c in claims], T0)
    assert store.forget("terminal", "gone") == 1
    assert store.forget("terminal", "gone") == 0
    rows = database.table_rows()
    assert set(rows) >= {"subscriptions", "reminders", "schema_migrations"}
    assert all(row[0] == kept.id for row in rows["subscriptions"])
    assert rows["reminders"] and all(row[1] == kept.id for row in rows["reminders"])
    assert [row[1] for row in rows["sessions"]] == ["kept"]
    flat = [str(value) for table in rows.values() for row in table for value in row]
    assert "gone" not in flat
    store.forget("terminal", "kept")
    rows = database.table_rows()
    assert {name: len(table) for name, table in rows.items() if name != "schema_migrations"} == {
        "subscriptions": 0,
        "reminders": 0,
        "sessions": 0,
        "unanswered": 0,
        "senders": 0,
    }

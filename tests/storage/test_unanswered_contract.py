"""The UnansweredStore contract: questions the bot could not answer, counted by their normalised
text with no id, on SQLite (a temporary file) and real PostgreSQL alike (the fixtures in
conftest.py)."""

from __future__ import annotations

import datetime as dt

from bot.storage.base import Gap, UnansweredStore
from tests.storage.conftest import T0, Database

HOUR = dt.timedelta(hours=1)


def test_a_text_is_counted_with_when_it_was_first_and_last_seen(store: UnansweredStore):
    assert store.unanswered() == []
    store.note_unanswered("weather on mars", T0)
    store.note_unanswered("weather on mars", T0 + HOUR)
    store.note_unanswered("weather on mars", T0 + HOUR / 2)  # late: last seen stays the latest
    store.note_unanswered("opt out of cookies", T0 + 2 * HOUR)
    assert store.unanswered() == [
        Gap("weather on mars", 3, T0, T0 + HOUR),
        Gap("opt out of cookies", 1, T0 + 2 * HOUR, T0 + 2 * HOUR),
    ]


def test_the_most_frequent_come_first_then_the_latest_then_by_text(store: UnansweredStore):
    for text, times in (("b", 1), ("a", 1), ("c", 2), ("d", 1)):
        for _ in range(times):
            store.note_unanswered(text, T0 + (HOUR if text == "d" else dt.timedelta(0)))
    assert [gap.text for gap in store.unanswered()] == ["c", "d", "a", "b"]
    assert [gap.text for gap in store.unanswered(limit=2)] == ["c", "d"]


def test_texts_first_seen_before_a_moment_are_purged(store: UnansweredStore):
    store.note_unanswered("old", T0)
    store.note_unanswered("old", T0 + 3 * HOUR)  # seen again: still first seen at T0
    store.note_unanswered("new", T0 + 2 * HOUR)
    assert store.purge_unanswered(T0 + HOUR) == 1
    assert [gap.text for gap in store.unanswered()] == ["new"]
    assert store.purge_unanswered(T0 + HOUR) == 0


def test_only_the_text_its_count_and_two_times_are_kept(database: Database, store: UnansweredStore):
    store.note_unanswered("weather on mars", T0)
    (row,) = database.table_rows()["unanswered"]
    assert len(row) == 4 and row[0] == "weather on mars" and row[1] == 1

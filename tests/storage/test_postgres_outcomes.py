"""PostgreSQL's outcome write on the event loop (record_async), which the dispatcher uses to save
a thread hop per write: the same rows as record(), from any event loop, closed with the store."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.storage import ReminderState, open_store
from bot.storage.base import Outcome
from tests.databases import Database
from tests.storage.conftest import LEASE, T0, reminder, subscribe

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def claimed(store, count: int):
    sub = subscribe(store)
    store.schedule([reminder(sub.id, offset=o) for o in (14, 7, 1, 0)][:count])
    return store.claim_due(T0 + dt.timedelta(days=30), limit=count, lease=LEASE, worker="w")


def test_an_awaited_write_records_as_record_does_from_any_event_loop(
    postgres_database: Database,
):
    store = open_store(postgres_database.url)
    try:
        first, second, third = claimed(store, 3)
        at = T0 + dt.timedelta(days=30)
        asyncio.run(store.record_async([Outcome(first.id, ReminderState.SENT)], at))
        # A second loop (a restarted dispatcher in one process) gets a connection of its own.
        asyncio.run(
            store.record_async(
                [Outcome(second.id, ReminderState.FAILED), Outcome(third.id, ReminderState.LATE)],
                at,
            )
        )
        asyncio.run(store.record_async([], at))  # nothing to write: no round trip, no error
        stats = store.stats()
        assert (stats["sent"], stats["failed"], stats["late"], stats["scheduled"]) == (1, 1, 1, 0)
        # A write never turns a finished reminder back: only scheduled rows take an outcome.
        asyncio.run(store.record_async([Outcome(first.id, ReminderState.FAILED)], at))
        assert store.stats()["sent"] == 1
    finally:
        store.close()


async def test_writes_from_one_loop_side_by_side_share_its_connection(
    postgres_database: Database,
):
    store = open_store(postgres_database.url)
    try:
        claims = claimed(store, 4)
        at = T0 + dt.timedelta(days=30)
        await asyncio.gather(
            *(store.record_async([Outcome(c.id, ReminderState.SENT)], at) for c in claims)
        )
        assert store.stats()["sent"] == 4
    finally:
        store.close()
    assert store._outcomes is None  # closed with the store

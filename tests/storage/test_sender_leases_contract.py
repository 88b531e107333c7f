"""The SenderLeaseStore contract: one sender per platform account, on SQLite (a temporary file)
and real PostgreSQL alike (the fixtures in conftest.py)."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

from bot.storage import Store
from bot.storage.base import SenderLeaseStore
from tests.storage.conftest import T0, Database

SENDER_LEASE = dt.timedelta(seconds=30)


def test_one_sender_per_account_until_its_lease_runs_out(store: SenderLeaseStore):
    key = "telegram:123456"
    assert store.hold_sender(key, "a", T0, SENDER_LEASE)
    assert not store.hold_sender(key, "b", T0 + dt.timedelta(seconds=29), SENDER_LEASE)
    assert store.hold_sender("telegram:999", "b", T0, SENDER_LEASE)  # another bot: its own
    # The holder renews; the other still waits, then takes over once a renewal is missed.
    assert store.hold_sender(key, "a", T0 + dt.timedelta(seconds=20), SENDER_LEASE)
    assert not store.hold_sender(key, "b", T0 + dt.timedelta(seconds=49), SENDER_LEASE)
    assert store.hold_sender(key, "b", T0 + dt.timedelta(seconds=50), SENDER_LEASE)
    assert not store.hold_sender(key, "a", T0 + dt.timedelta(seconds=51), SENDER_LEASE)


def test_a_released_sender_lease_is_taken_at_once(store: SenderLeaseStore):
    key = "telegram:123456"
    assert store.hold_sender(key, "a", T0, SENDER_LEASE)
    store.release_sender(key, "b")  # not b's to release
    assert not store.hold_sender(key, "b", T0, SENDER_LEASE)
    store.release_sender(key, "a")
    assert store.hold_sender(key, "b", T0, SENDER_LEASE)


def test_concurrent_takers_of_a_sender_lease_one_wins(database: Database, store: Store):
    workers = [database.open() for _ in range(4)]
    barrier = threading.Barrier(len(workers))

    def take(worker: Store, name: str) -> bool:
        barrier.wait()
        return worker.hold_sender("telegram:123456", name, T0, SENDER_LEASE)

    try:
        with ThreadPoolExecutor(len(workers)) as pool:
            results = list(pool.map(take, workers, ["a", "b", "c", "d"]))
    finally:
        for worker in workers:
            worker.close()
    assert sorted(results) == [False, False, False, True]

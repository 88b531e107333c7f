"""The ReminderStore contract: reminders from scheduling to their outcome, on SQLite (a
temporary file) and real PostgreSQL alike (the fixtures in conftest.py)."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

from bot.storage import ReminderState, Store
from bot.storage.base import Outcome
from tests.storage.conftest import LEASE, T0, Database, reminder, subscribe


def test_scheduling_is_idempotent_by_dedupe_key(store: Store):
    sub = subscribe(store)
    batch = [reminder(sub.id, offset=o) for o in (14, 7, 1, 0)]
    assert store.schedule(batch) == 4
    assert store.schedule(batch) == 0
    moved = reminder(sub.id, offset=14, due=T0 + dt.timedelta(days=2))
    assert store.schedule([moved, reminder(sub.id, "other_event")]) == 1
    assert store.stats()["scheduled"] == 5
    assert store.schedule([]) == 0


def test_claims_take_due_reminders_oldest_first_with_their_subscription(store: Store):
    sub = subscribe(store)
    store.schedule([reminder(sub.id, offset=o) for o in (14, 7, 1, 0)])
    now = T0 + dt.timedelta(hours=7)  # offsets 0, 1 and 7 are due, 14 is not
    claims = store.claim_due(now, limit=2, lease=LEASE, worker="a")
    assert [c.reminder.offset_days for c in claims] == [0, 1]
    assert claims[0].subscription == sub and claims[0].attempts == 1
    assert claims[0].reminder == reminder(sub.id, offset=0)
    rest = store.claim_due(now, limit=10, lease=LEASE, worker="b")
    assert [c.reminder.offset_days for c in rest] == [7]


def test_claims_and_next_due_can_be_limited_to_platforms(store: Store):
    terminal = subscribe(store)
    telegram = store.add_subscription(
        "telegram",
        "7",
        region="DE",
        language="en",
        timezone="Europe/Berlin",
        checkup="off",
        created_at=T0,
    )
    store.schedule([reminder(terminal.id, offset=0), reminder(telegram.id, offset=1)])
    now = T0 + dt.timedelta(hours=2)
    assert store.next_due_at(frozenset({"telegram"})) == T0 + dt.timedelta(hours=1)
    assert store.next_due_at(frozenset({"discord"})) is None
    claims = store.claim_due(
        now, limit=10, lease=LEASE, worker="tg", platforms=frozenset({"telegram"})
    )
    assert [c.subscription.platform for c in claims] == ["telegram"]
    assert (
        store.claim_due(now, limit=10, lease=LEASE, worker="dc", platforms=frozenset({"discord"}))
        == []
    )
    rest = store.claim_due(now, limit=10, lease=LEASE, worker="any")
    assert [c.subscription.platform for c in rest] == ["terminal"]


def test_a_lease_keeps_others_off_until_it_expires(store: Store):
    sub = subscribe(store)
    store.schedule([reminder(sub.id, offset=0)])
    now = T0 + dt.timedelta(hours=1)
    [claim] = store.claim_due(now, limit=10, lease=LEASE, worker="crashed")
    assert store.claim_due(now + LEASE / 2, limit=10, lease=LEASE, worker="b") == []
    [again] = store.claim_due(now + LEASE, limit=10, lease=LEASE, worker="b")
    assert again.id == claim.id and again.attempts == 2


def test_release_gives_back_only_this_workers_unfinished_claims(database: Database, store: Store):
    sub = subscribe(store)
    store.schedule([reminder(sub.id, offset=o) for o in (14, 7, 1, 0)])
    now = T0 + dt.timedelta(days=1)
    mine = store.claim_due(now, limit=3, lease=LEASE, worker="stopping")
    [theirs] = store.claim_due(now, limit=10, lease=LEASE, worker="other")
    store.record([Outcome(mine[0].id, ReminderState.SENT)], now)
    assert store.release("stopping") == 2
    assert store.release("stopping") == 0
    rows = {row[0]: row for row in database.table_rows()["reminders"]}
    leased = {rid for rid, row in rows.items() if row[8] is not None}  # lease_until
    assert leased == {theirs.id}
    # Released reminders can be taken at once, before the lease would have run out.
    again = store.claim_due(now, limit=10, lease=LEASE, worker="next")
    assert sorted(c.id for c in again) == sorted(c.id for c in mine[1:])


def test_recorded_outcomes_are_final_and_counted(store: Store):
    sub = subscribe(store)
    store.schedule([reminder(sub.id, offset=o) for o in (14, 7, 1, 0)])
    claims = store.claim_due(T0 + dt.timedelta(days=1), limit=10, lease=LEASE, worker="a")
    states = [ReminderState.SENT, ReminderState.LATE, ReminderState.SKIPPED, ReminderState.FAILED]
    at = T0 + dt.timedelta(days=1)
    store.record([Outcome(c.id, s) for c, s in zip(claims, states, strict=True)], at)
    store.record([Outcome(claims[0].id, ReminderState.FAILED)], at)  # already final: kept
    stats = store.stats()
    assert {s: stats[s] for s in ("scheduled", "sent", "late", "skipped", "failed", "refused")} == {
        "scheduled": 0,
        "sent": 1,
        "late": 1,
        "skipped": 1,
        "failed": 1,
        "refused": 0,
    }
    later = T0 + dt.timedelta(days=2) + LEASE
    assert store.claim_due(later, limit=10, lease=LEASE, worker="b") == []


def test_next_due_and_upcoming(store: Store):
    assert store.next_due_at() is None
    sub = subscribe(store)
    store.schedule([reminder(sub.id, offset=o) for o in (14, 7)])
    assert store.next_due_at() == T0 + dt.timedelta(hours=7)
    assert [r.offset_days for r in store.upcoming(sub.id)] == [7, 14]
    assert [r.offset_days for r in store.upcoming(sub.id, limit=1)] == [7]


def test_concurrent_claims_never_share_a_reminder(database: Database, store: Store):
    """Four workers, each with its own connection, claim at the same moment: disjoint sets."""
    subs = [subscribe(store, str(n)) for n in range(50)]
    store.schedule([reminder(s.id, offset=o) for s in subs for o in (0, 1, 7, 14)])
    workers = [database.open() for _ in range(4)]
    barrier = threading.Barrier(len(workers))
    now = T0 + dt.timedelta(days=1)

    def claim_all(worker: Store, name: str) -> list[int]:
        barrier.wait()
        taken: list[int] = []
        while claims := worker.claim_due(now, limit=7, lease=LEASE, worker=name):
            taken += [c.id for c in claims]
        return taken

    try:
        with ThreadPoolExecutor(len(workers)) as pool:
            results = list(pool.map(claim_all, workers, ["a", "b", "c", "d"]))
    finally:
        for worker in workers:
            worker.close()
    every = [i for taken in results for i in taken]
    assert len(every) == len(set(every)) == 200


def test_outcomes_of_different_states_are_recorded_in_one_call(store: Store):
    subs = [subscribe(store, str(n)) for n in range(3)]
    store.schedule([reminder(s.id, offset=0) for s in subs])
    claims = store.claim_due(T0 + dt.timedelta(hours=1), limit=10, lease=LEASE, worker="a")
    states = [ReminderState.SENT, ReminderState.LATE, ReminderState.FAILED]
    store.record([Outcome(c.id, s) for c, s in zip(claims, states, strict=True)], T0)
    stats = store.stats()
    assert (stats["sent"], stats["late"], stats["failed"], stats["scheduled"]) == (1, 1, 1, 0)

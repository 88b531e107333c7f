"""The dispatcher with a recording FakeNotifier and a FixedClock: time moves, nothing sleeps."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest

from bot.core.chats import ChatRef
from bot.core.clock import FixedClock
from bot.core.knowledge import KnowledgeBase
from bot.service import Dispatcher, TransientFailure, schedule_reminders
from bot.service.dispatcher import RECORD_STEP, stop_dispatcher
from bot.storage import Store, open_store
from tests.databases import Database, postgres_url_or_skip
from tests.service.fakes import (
    BERLIN,
    SUBSCRIBED,
    FakeNotifier,
    RecordingSleep,
    run_until,
    subscribe,
)

# For DE: one series, the start on 3 November (Liechtenstein's "last day to object" on 2 November
# concerns Liechtenstein alone).
EVENTS = ("ai_training_start_2025",)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(SUBSCRIBED)


@pytest.fixture
def store(sqlite_database: Database) -> Iterator[Store]:
    opened = sqlite_database.open()
    yield opened
    opened.close()


@pytest.fixture
def notifier(clock: FixedClock) -> FakeNotifier:
    return FakeNotifier(clock)


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def dispatcher(store, notifier, kb, clock, sleep) -> Dispatcher:
    return Dispatcher(store, notifier, kb, clock, sleep=sleep, max_backoff=30.0)


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(BERLIN)


async def test_a_reminder_is_delivered_once_at_its_time(dispatcher, store, notifier, clock, kb):
    subscribe(store)
    clock.set(dt.datetime(2025, 10, 20, 9, 59, tzinfo=BERLIN))
    await dispatcher.run_once()
    assert notifier.sent == []
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
    report = await dispatcher.run_once()
    assert report.sent == 1 and report.late == 0
    [(chat, text, _at)] = notifier.sent
    assert chat == ChatRef("terminal", "42")
    event = kb.event_index[EVENTS[0]]
    assert "In 14 days, on 3 November 2025" in text
    assert event.what_to_do in text
    assert "Why you get this" in text and '"unsubscribe"' in text
    clock.advance(dt.timedelta(minutes=5))
    again = await dispatcher.run_once()
    assert again.sent == 0 and len(notifier.sent) == 1
    assert store.stats()["sent"] == 1


async def test_berlin_gets_reminders_at_ten_on_both_sides_of_the_dst_change(
    dispatcher, store, notifier, clock
):
    subscribe(store)
    clock.set(dt.datetime(2025, 10, 18, 0, 0, tzinfo=dt.UTC))
    await run_until(dispatcher, clock, dt.datetime(2025, 11, 4, tzinfo=dt.UTC))
    times = [at for _chat, _text, at in notifier.sent]
    assert len(times) == 4  # 1 event x offsets 14, 7, 1, 0
    assert all(local(at).time() == dt.time(10, 0) for at in times)
    before = [at for at in times if at < dt.datetime(2025, 10, 26, 1, 0, tzinfo=dt.UTC)]
    after = [at for at in times if at not in before]
    assert {at.hour for at in before} == {8}  # CEST, UTC+2
    assert {at.hour for at in after} == {9}  # CET, UTC+1
    assert dt.datetime(2025, 10, 27, 9, 0, tzinfo=dt.UTC) in times  # the day after the change
    assert store.stats()["late"] == 0


async def test_subscribing_after_an_offset_does_not_send_it(dispatcher, store, notifier, clock):
    created = dt.datetime(2025, 10, 28, 12, 0, tzinfo=BERLIN)
    subscribe(store, created_at=created)
    clock.set(created)
    await run_until(dispatcher, clock, dt.datetime(2025, 11, 4, tzinfo=dt.UTC))
    days = sorted(local(at).date().isoformat() for _c, _t, at in notifier.sent)
    assert days == ["2025-11-02", "2025-11-03"]  # offsets 1 and 0
    assert all(
        "In 14 days" not in text and "In 7 days" not in text for _c, text, _a in notifier.sent
    )


async def test_a_permanent_refusal_deactivates_and_nothing_more_is_sent(
    dispatcher, store, notifier, clock
):
    refused = subscribe(store, "blocked-me")
    subscribe(store, "fine")
    notifier.refuse.add("blocked-me")
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
    report = await dispatcher.run_once()
    assert report.refused == 1 and report.sent == 1
    assert not store.subscription_for("terminal", "blocked-me").active
    assert store.upcoming(refused.id) == []
    notifier.refuse.clear()  # even if the platform would accept again, the subscription is off
    await run_until(dispatcher, clock, dt.datetime(2025, 11, 4, tzinfo=dt.UTC))
    assert {chat.chat_id for chat, _t, _a in notifier.sent} == {"fine"}
    assert len(notifier.sent) == 4
    assert store.stats()["refused"] == 1


async def test_retry_after_is_honoured_without_real_sleep(
    dispatcher, store, notifier, clock, sleep
):
    subscribe(store)
    notifier.failures = [TransientFailure("429", retry_after=7.0), TransientFailure("429", 7.0)]
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
    report = await dispatcher.run_once()
    assert sleep.waits == [7.0, 7.0]
    assert report.sent == 1 and report.retries == 2 and len(notifier.sent) == 1


async def test_transient_failures_back_off_then_fail(dispatcher, store, notifier, clock, sleep):
    subscribe(store)
    notifier.failures = [TransientFailure("503") for _ in range(10)]
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
    report = await dispatcher.run_once()
    assert sleep.waits == [1.0, 2.0, 4.0]  # max_attempts=4, exponential without retry_after
    assert report.failed == 1 and notifier.sent == []
    assert store.stats()["failed"] == 1


async def test_429s_are_waited_out_and_never_count_as_attempts(
    dispatcher, store, notifier, clock, sleep
):
    subscribe(store)
    notifier.failures = [TransientFailure("429", retry_after=1.0) for _ in range(10)]
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
    report = await dispatcher.run_once()
    assert sleep.waits == [1.0] * 10  # ten 429s, though max_attempts is 4
    assert (report.sent, report.failed, report.rate_limited) == (1, 0, 10)
    assert len(notifier.sent) == 1 and store.stats()["failed"] == 0


async def test_a_429_that_never_ends_leaves_the_reminder_for_later_never_failed(
    dispatcher, store, notifier, clock, sleep
):
    subscribe(store)
    notifier.failures = [TransientFailure("429", retry_after=7.0) for _ in range(1000)]
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
    report = await dispatcher.run_once()
    # Waited out up to the cap (at most half the claim's lease, so no one else claims it
    # meanwhile), then left scheduled under its claim.
    assert 0 < sum(sleep.waits) <= dispatcher.max_flood_wait <= dispatcher.lease.total_seconds()
    assert (report.deferred, report.failed, report.sent) == (1, 0, 0)
    assert store.stats()["scheduled"] == 4 and store.stats()["failed"] == 0
    notifier.failures = []
    assert (await dispatcher.run_once()).claimed == 0  # not before its claim runs out
    clock.advance(dispatcher.lease)
    assert (await dispatcher.run_once()).sent == 1 and len(notifier.sent) == 1


async def test_a_wait_longer_than_the_cap_leaves_the_reminder_for_later_at_once(
    dispatcher, store, notifier, clock, sleep
):
    subscribe(store)
    notifier.failures = [TransientFailure("429", retry_after=3600.0)]
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
    report = await dispatcher.run_once()
    assert sleep.waits == [] and report.deferred == 1 and report.failed == 0
    clock.advance(dispatcher.lease)
    assert (await dispatcher.run_once()).sent == 1


async def test_at_most_five_reminders_are_ever_sent_and_not_yet_recorded(
    dispatcher, store, notifier, clock
):
    for n in range(60):
        subscribe(store, f"chat-{n}")
    unrecorded: list[int] = []
    started = 0
    send = notifier.send

    async def send_and_count(chat: ChatRef, text: str, stop_label: str = "") -> None:
        # Started (sent or in flight, this one too) minus recorded: what a kill now would repeat.
        nonlocal started
        started += 1
        unrecorded.append(started - store.stats()["sent"])
        await send(chat, text)

    notifier.send = send_and_count
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
    report = await dispatcher.run_once()
    assert report.sent == 60 and store.stats()["sent"] == 60
    assert max(unrecorded) == RECORD_STEP == 5


async def test_after_downtime_live_reminders_go_late_once_and_dead_ones_are_skipped(
    dispatcher, store, notifier, clock
):
    subscribe(store)
    clock.set(dt.datetime(2025, 11, 3, 12, 0, tzinfo=BERLIN))  # first pass after a long outage
    report = await dispatcher.run_once()
    # The day-of reminder goes late; the 14-, 7- and 1-day reminders are superseded by it.
    assert (report.late, report.skipped, report.sent) == (1, 3, 0)
    [(_chat, text, _at)] = notifier.sent
    assert "Today, 3 November 2025" in text and "late" in text
    assert (await dispatcher.run_once()).claimed == 0
    stats = store.stats()
    assert (stats["late"], stats["skipped"], stats["scheduled"]) == (1, 3, 0)


async def test_monthly_checkups_arrive_on_the_first(dispatcher, store, notifier, clock):
    subscribe(store, region="US", timezone="America/New_York", checkup="monthly")
    await run_until(dispatcher, clock, dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
    checkups = [at for _c, text, at in notifier.sent if text.startswith("Settings check-up")]
    zone = ZoneInfo("America/New_York")
    assert [at.astimezone(zone).isoformat() for at in checkups] == [
        "2025-11-01T10:00:00-04:00",
        "2025-12-01T10:00:00-05:00",
        "2026-01-01T10:00:00-05:00",
    ]


async def test_forget_leaves_no_row_in_any_table(database: Database, notifier, kb, clock):
    store = database.open()
    try:
        dispatcher = Dispatcher(store, notifier, kb, clock, sleep=RecordingSleep())
        subscribe(store, "forget-me", checkup="monthly")
        clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
        await dispatcher.run_once()
        assert notifier.sent and store.stats()["scheduled"] > 0
        assert store.forget("terminal", "forget-me") == 1
        rows = database.table_rows()
        assert {name: table for name, table in rows.items() if name != "schema_migrations"} == {
            "subscriptions": [],
            "reminders": [],
            "sessions": [],
            "unanswered": [],
            "senders": [],
        }
    finally:
        store.close()


async def test_run_forever_wakes_early_and_stops(dispatcher, store, notifier, clock):
    dispatcher.idle_sleep = 3600.0  # never reached: the wake-up comes first
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
    task = asyncio.create_task(dispatcher.run_forever())
    await asyncio.sleep(0.05)
    assert notifier.sent == []
    subscribe(store)
    dispatcher.wake()
    await asyncio.wait_for(notifier.delivered.wait(), timeout=5)
    dispatcher.stop()
    await asyncio.wait_for(task, timeout=5)
    assert len(notifier.sent) == 1


async def test_a_changed_subscription_is_scheduled_alone(dispatcher, store, notifier, clock):
    """After the first full pass, waking with one subscription schedules just that one; a full
    pass comes again only after SCHEDULE_EVERY (or for a new knowledge base)."""
    dispatcher.idle_sleep = 3600.0
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
    early = subscribe(store, "early")
    task = asyncio.create_task(dispatcher.run_forever())
    await asyncio.wait_for(notifier.delivered.wait(), timeout=5)
    notifier.delivered.clear()
    quiet = subscribe(store, "quiet")  # never woken for: waits for the next full pass
    late = subscribe(store, "late")
    dispatcher.wake(late)
    await asyncio.wait_for(notifier.delivered.wait(), timeout=5)
    dispatcher.stop()
    await asyncio.wait_for(task, timeout=5)
    # "quiet" got nothing scheduled: no full pass ran after the first.
    assert [chat.chat_id for chat, *_ in notifier.sent] == ["early", "late"]
    assert store.upcoming(quiet.id) == [] and early.id != late.id


def leased(store: Store) -> int:
    """Reminders still under a lease, read from the SQLite file itself."""
    conn = sqlite3.connect(store.path)
    try:
        return conn.execute(
            "SELECT COUNT(*) FROM reminders WHERE lease_until IS NOT NULL"
        ).fetchone()[0]
    finally:
        conn.close()


async def test_stop_mid_batch_records_the_sent_and_releases_the_rest(
    dispatcher, store, notifier, clock
):
    for n in range(10):
        subscribe(store, f"chat-{n}")
    dispatcher.concurrency = 1
    send = notifier.send

    async def send_then_stop(chat: ChatRef, text: str, stop_label: str = "") -> None:
        await send(chat, text)
        if len(notifier.sent) == 3:
            dispatcher.stop()  # as SIGTERM would, while the batch is being sent

    notifier.send = send_then_stop
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
    task = asyncio.create_task(dispatcher.run_forever())
    await asyncio.wait_for(task, timeout=5)
    assert len(notifier.sent) == 3
    stats = store.stats()
    assert stats["sent"] == 3 and stats["scheduled"] >= 7
    assert leased(store) == 0
    # Released claims go out on the next start at once, not when a lease runs out.
    notifier.send = send
    again = Dispatcher(store, notifier, dispatcher.kb, clock, sleep=RecordingSleep())
    report = await again.run_once()
    assert report.sent == 7 and len({chat for chat, _t, _a in notifier.sent}) == 10


async def test_stop_sends_nothing_that_was_waiting_for_a_slot(dispatcher, store, notifier, clock):
    # Side by side (16 subscriptions at once, 5 sends in flight): those waiting for a slot when
    # the stop comes are not sent, only the sends already in flight finish.
    for n in range(3 * RECORD_STEP):
        subscribe(store, f"chat-{n}")
    send = notifier.send

    async def send_then_stop(chat: ChatRef, text: str, stop_label: str = "") -> None:
        await send(chat, text)  # a turn of the loop: the others take a slot or queue for one
        if len(notifier.sent) == 1:
            dispatcher.stop()  # as SIGTERM would

    notifier.send = send_then_stop
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
    await asyncio.wait_for(dispatcher.run_forever(), timeout=5)
    assert 1 <= len(notifier.sent) <= RECORD_STEP
    assert store.stats()["sent"] == len(notifier.sent)
    assert leased(store) == 0


async def test_stop_cuts_a_retry_wait_short_and_releases_the_claim(store, notifier, clock, kb):
    async def never(seconds: float) -> None:
        await asyncio.Event().wait()

    dispatcher = Dispatcher(store, notifier, kb, clock, sleep=never, max_backoff=600.0)
    subscribe(store)
    notifier.failures = [TransientFailure("429", retry_after=300.0)]
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
    task = asyncio.create_task(dispatcher.run_forever())
    while notifier.failures:
        await asyncio.sleep(0.01)
    await asyncio.wait_for(stop_dispatcher(dispatcher, task, grace=5.0), timeout=2)
    assert task.done() and not task.cancelled()
    assert notifier.sent == [] and store.stats()["scheduled"] > 0 and leased(store) == 0


# PostgreSQL-heavy, 2,000 subscribers: slow. tests/service/test_two_dispatchers.py does the
# same with 10,000; the SQLite contract test of concurrent claims stays in the inner loop.
@pytest.mark.slow
@pytest.mark.postgres
async def test_two_dispatchers_on_one_postgres_deliver_each_reminder_once(
    postgres_database: Database, kb: KnowledgeBase, tmp_path: Path
):
    postgres_url_or_skip()
    count = 2000
    due = dt.datetime(2025, 11, 3, 10, 0, tzinfo=BERLIN)  # the day-of reminder of one event
    setup = postgres_database.open()
    for n in range(count):
        subscribe(setup, str(n), created_at=due - dt.timedelta(hours=1))
    schedule_reminders(setup, kb, due + dt.timedelta(seconds=1))
    setup.close()
    clock = FixedClock(due)
    notifier = FakeNotifier(clock)
    stores = [open_store(postgres_database.url) for _ in range(2)]
    try:
        dispatchers = [
            Dispatcher(
                s, notifier, kb, clock, worker=f"w{i}", batch_size=50, sleep=RecordingSleep()
            )
            for i, s in enumerate(stores)
        ]
        reports = await asyncio.gather(*(d.run_once(schedule=False) for d in dispatchers))
        chats = [chat.chat_id for chat, _text, _at in notifier.sent]
        assert len(chats) == count and len(set(chats)) == count
        assert sum(r.sent for r in reports) == count
        assert stores[0].stats()["sent"] == count
    finally:
        for s in stores:
            s.close()


class AccountNotifier(FakeNotifier):
    """A notifier that names its platform account, as TelegramNotifier names its bot."""

    sender_keys: ClassVar[dict[str, str]] = {"terminal": "terminal:bot-1"}


async def test_one_instance_sends_per_account_and_another_takes_over_when_its_lease_ends(
    store, clock, kb
):
    notifier = AccountNotifier(clock)
    a, b = (
        Dispatcher(store, notifier, kb, clock, worker=name, sleep=RecordingSleep())
        for name in ("a", "b")
    )
    for n in range(12):
        subscribe(store, f"chat-{n}")
    due = dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN)
    clock.set(due - dt.timedelta(seconds=10))
    await a.run_once()  # nothing due yet; a takes the account's lease
    assert a.sender_leases == {"terminal:bot-1"} and notifier.sent == []
    clock.set(due)
    assert (await b.run_once()).claimed == 0  # a's lease runs 30 s: b stands by
    assert b.sender_leases == frozenset() and notifier.sent == []
    clock.set(due + a.sender_lease)  # a has not renewed: gone, as if it had crashed
    assert (await b.run_once()).sent == 12
    assert (await a.run_once()).claimed == 0 and a.sender_leases == frozenset()
    assert len({chat for chat, _t, _a in notifier.sent}) == len(notifier.sent) == 12


async def test_a_stopped_instance_hands_its_account_over_at_once(store, clock, kb):
    notifier = AccountNotifier(clock)
    a, b = (
        Dispatcher(store, notifier, kb, clock, worker=name, sleep=RecordingSleep())
        for name in ("a", "b")
    )
    subscribe(store)
    clock.set(dt.datetime(2025, 10, 20, 9, 0, tzinfo=BERLIN))
    await a.run_once()
    a.stop()
    a.release()  # what the end of run_forever does
    assert a.sender_leases == frozenset()
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN))
    assert (await b.run_once()).sent == 1
